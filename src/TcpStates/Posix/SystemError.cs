using System.Globalization;

namespace TcpStates.Posix;

/// <summary>
/// A failed system call on the tool's own descriptors, with its errno named: the messages come from here, not from
/// .NET's exceptions, whose texts the native build leaves out (it prints resource keys instead).
/// </summary>
public class SystemError : IOException
{
    public const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, EBADF = 9, EAGAIN = 11, EACCES = 13, ENOSPC = 28,
        EPIPE = 32, EDQUOT = 122, ECONNREFUSED = 111, ENOTCONN = 107, EMSGSIZE = 90, ENOBUFS = 105, EFBIG = 27, ENAMETOOLONG = 36,
        EINVAL = 22, ENOSYS = 38, EOPNOTSUPP = 95;

    public SystemError(string operation, int errno)
        : base($"{operation}: {Name(errno)} ({Describe(errno)})")
    {
        Operation = operation;
        Errno = errno;
        HResult = errno;
    }

    /// <summary>What failed, e.g. "write to standard output".</summary>
    public string Operation { get; }

    public int Errno { get; }

    /// <summary>"ENOSPC", ... or BpfLoader's names for the rest.</summary>
    public static string Name(int errno) => errno switch
    {
        EPIPE => "EPIPE",
        EDQUOT => "EDQUOT",
        ECONNREFUSED => "ECONNREFUSED",
        ENOTCONN => "ENOTCONN",
        EMSGSIZE => "EMSGSIZE",
        ENOBUFS => "ENOBUFS",
        EFBIG => "EFBIG",
        ENAMETOOLONG => "ENAMETOOLONG",
        _ => BpfLoader.Errors.Errno.Name(errno),
    };

    /// <summary>strerror's text, without libc's strerror (not thread-safe).</summary>
    public static string Describe(int errno) => errno switch
    {
        EIO => "Input/output error",
        EPIPE => "Broken pipe",
        EDQUOT => "Disk quota exceeded",
        ECONNREFUSED => "Connection refused",
        ENOTCONN => "Transport endpoint is not connected",
        EMSGSIZE => "Message too long",
        ENOBUFS => "No buffer space available",
        EFBIG => "File too large",
        ENAMETOOLONG => "File name too long",
        _ => BpfLoader.Errors.Errno.Describe(errno),
    };

    internal static string Number(ulong n) => n.ToString(CultureInfo.InvariantCulture);
}
