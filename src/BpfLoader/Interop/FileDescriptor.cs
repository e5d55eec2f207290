using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>
/// Owns one kernel file descriptor (map, program, link, BTF, perf event, epoll, eventfd).
/// Closing it is how the kernel object is released; a killed process releases them all.
/// </summary>
public sealed class FileDescriptor : SafeHandle
{
    public FileDescriptor() : base(new IntPtr(-1), ownsHandle: true) { }

    public FileDescriptor(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw number; valid only while this handle is alive (use DangerousAddRef around long uses).</summary>
    public int Value => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => Libc.Close((int)handle.ToInt64()) == 0;

    public override string ToString() => IsInvalid ? "fd(-)" : $"fd({Value})";
}
