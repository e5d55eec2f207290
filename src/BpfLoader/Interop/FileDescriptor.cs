using System.Runtime.InteropServices;
using BpfLoader.Errors;
using Microsoft.Win32.SafeHandles;

namespace BpfLoader.Interop;

/// <summary>
/// Owns one kernel file descriptor (map, program, link, BTF, perf event, epoll, eventfd).
/// Closing it is how the kernel object is released; a killed process releases them all.
/// </summary>
internal sealed class FileDescriptor : SafeHandle
{
    /// <summary>An invalid descriptor (-1), for marshalling to fill in.</summary>
    public FileDescriptor() : base(new IntPtr(-1), ownsHandle: true) { }

    /// <summary>Takes ownership of <paramref name="fd"/>: it is closed when this handle is disposed.</summary>
    public FileDescriptor(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    /// <summary>True for a negative descriptor.</summary>
    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw number; valid only while this handle is alive (use DangerousAddRef around long uses).</summary>
    public int Value => (int)handle.ToInt64();

    /// <summary>F_DUPFD_CLOEXEC of <paramref name="fd"/>: a new descriptor for the same kernel object.</summary>
    public static FileDescriptor Duplicate(int fd)
    {
        int copy = Libc.Fcntl(fd, Libc.FDupFdCloexec, 0);
        if (copy < 0)
            throw new BpfSyscallException("fcntl(F_DUPFD_CLOEXEC)", Libc.Errno, $"fd {fd}");
        return new FileDescriptor(copy);
    }

    /// <summary>
    /// A duplicate of this descriptor as a <see cref="SafeFileHandle"/> the caller owns: how a map, program
    /// or link is handed to code that needs the kernel object itself (another process over SCM_RIGHTS, say).
    /// </summary>
    public SafeFileHandle DuplicateAsSafeFileHandle()
    {
        bool added = false;
        DangerousAddRef(ref added);
        try
        {
            FileDescriptor copy = Duplicate(Value);
            return new SafeFileHandle(copy.DangerousReleaseOwnership(), ownsHandle: true);
        }
        finally
        {
            if (added) DangerousRelease();
        }
    }

    /// <summary>Gives up the descriptor without closing it, for a new owner.</summary>
    private IntPtr DangerousReleaseOwnership()
    {
        IntPtr raw = handle;
        SetHandleAsInvalid();
        return raw;
    }

    /// <summary>Closes the descriptor.</summary>
    protected override bool ReleaseHandle() => Libc.Close((int)handle.ToInt64()) == 0;

    /// <summary>"fd(N)", or "fd(-)" once closed or invalid.</summary>
    public override string ToString() => IsInvalid ? "fd(-)" : $"fd({Value})";
}
