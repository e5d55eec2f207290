using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>
/// Owns one kernel file descriptor (map, program, link, BTF, perf event, epoll, eventfd).
/// Closing it is how the kernel object is released; a killed process releases them all.
/// </summary>
public sealed class FileDescriptor : SafeHandle
{
    /// <summary>An invalid descriptor (-1), for marshalling to fill in.</summary>
    public FileDescriptor() : base(new IntPtr(-1), ownsHandle: true) { }

    /// <summary>Takes ownership of <paramref name="fd"/>: it is closed when this handle is disposed.</summary>
    public FileDescriptor(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    /// <summary>True for a negative descriptor.</summary>
    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw number; valid only while this handle is alive (use DangerousAddRef around long uses).</summary>
    public int Value => (int)handle.ToInt64();

    /// <summary>Closes the descriptor.</summary>
    protected override bool ReleaseHandle() => Libc.Close((int)handle.ToInt64()) == 0;

    /// <summary>"fd(N)", or "fd(-)" once closed or invalid.</summary>
    public override string ToString() => IsInvalid ? "fd(-)" : $"fd({Value})";
}
