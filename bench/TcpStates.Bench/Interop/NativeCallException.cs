namespace TcpStates.Bench.Interop;

/// <summary>A libc call of the harness failed: which call, and the errno it left.</summary>
internal sealed class NativeCallException(string operation, int errno)
    : IOException($"{operation} failed: {Native.ErrnoText(errno)}")
{
    public string Operation { get; } = operation;

    public int Errno { get; } = errno;
}
