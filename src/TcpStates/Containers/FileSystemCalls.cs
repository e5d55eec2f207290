using System.Runtime.InteropServices;

namespace TcpStates.Containers;

/// <summary>The few libc calls that .NET does not expose: a file's inode, its file system, a namespace's type.</summary>
internal static partial class FileSystemCalls
{
    /// <summary>statfs.f_type of cgroup v2 (include/uapi/linux/magic.h).</summary>
    public const long Cgroup2SuperMagic = 0x63677270;
    /// <summary>setns(2)'s CLONE_NEWNET, as NS_GET_NSTYPE reports a network namespace.</summary>
    public const int CloneNewNet = 0x40000000;

    internal const int ORdOnly = 0, OCloExec = 0x80000, OPath = 0x200000;
    public const int ESTALE = 116;
    internal const nuint NsGetNsType = 0xb703;   // _IO(0xb7, 0x3)
    /// <summary>Big enough for struct statx (256 bytes) and struct statfs on every 64-bit ABI (120 bytes).</summary>
    internal const int StatBufferSize = 256;
    /// <summary>statx(2)'s arguments and where struct statx keeps stx_ino (one layout on every architecture).</summary>
    internal const int AtFdCwd = -100, StatxIno = 0x100, StxInoOffset = 32;
    /// <summary>struct file_handle's header (handle_bytes, handle_type), before f_handle.</summary>
    internal const int FileHandleHeaderSize = 8;
    /// <summary>The handle type kernfs (so cgroup2) gives its files (FILEID_KERNFS, include/linux/exportfs.h: not UAPI).</summary>
    private const int FileIdKernfs = 0xfe;

    /// <summary>open(2)'s O_DIRECTORY differs by architecture (arm64's is asm-generic's O_DIRECT).</summary>
    internal static int DirectoryFlagFor(Architecture architecture) =>
        architecture == Architecture.Arm64 ? 0x4000 : 0x10000;

    private static readonly int ODirectory = DirectoryFlagFor(RuntimeInformation.ProcessArchitecture);

    /// <summary>The inode number of what <paramref name="path"/> names (symlinks followed), or an errno.</summary>
    public static bool TryGetInode(string path, out ulong inode, out int errno)
    {
        // statx, not stat: glibc exports stat only from 2.33 on (before, __xstat), above the binary's glibc floor.
        Span<byte> buffer = stackalloc byte[StatBufferSize];
        inode = 0;
        if (Statx(AtFdCwd, path, 0, StatxIno, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }
        errno = 0;
        inode = MemoryMarshal.Read<ulong>(buffer[StxInoOffset..]);
        return true;
    }

    /// <summary>statfs.f_type (the first field, a long) of the file system holding <paramref name="path"/>.</summary>
    public static bool TryGetFileSystemType(string path, out long type, out int errno)
    {
        Span<byte> buffer = stackalloc byte[StatBufferSize];
        type = 0;
        if (StatFs(path, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }
        errno = 0;
        type = MemoryMarshal.Read<long>(buffer);
        return true;
    }

    /// <summary>The namespace type (CLONE_NEW*) of an nsfs file, or -1 with an errno (ENOTTY: not a namespace).</summary>
    public static int GetNamespaceType(string path, out int errno)
    {
        int fd = Open(path, ORdOnly | OCloExec);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return -1;
        }
        try
        {
            int type = Ioctl(fd, NsGetNsType);
            errno = type < 0 ? Marshal.GetLastPInvokeError() : 0;
            return type;
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>
    /// Opens the cgroup with this id through the file handle kernfs gives it (what name_to_handle_at returns on
    /// cgroup2: the id itself, type FILEID_KERNFS) and returns where the open file is, e.g.
    /// "/sys/fs/cgroup/system.slice"; null with an errno (ESTALE: no such cgroup; EPERM: needs CAP_DAC_READ_SEARCH).
    /// </summary>
    public static string? FindCgroupDirectory(string cgroup2Root, ulong id, out int errno)
    {
        int mount = Open(cgroup2Root, ORdOnly | OCloExec | ODirectory);
        if (mount < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        try
        {
            // struct file_handle { u32 handle_bytes; s32 handle_type; u8 f_handle[8]; }
            Span<byte> handle = stackalloc byte[16];
            MemoryMarshal.Write(handle, 8u);
            MemoryMarshal.Write(handle[4..], FileIdKernfs);
            MemoryMarshal.Write(handle[FileHandleHeaderSize..], id);
            int fd = OpenByHandleAt(mount, ref MemoryMarshal.GetReference(handle), OPath | OCloExec);
            if (fd < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return null;
            }
            try
            {
                errno = 0;
                return new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
            }
            finally
            {
                Close(fd);
            }
        }
        finally
        {
            Close(mount);
        }
    }

    [LibraryImport("libc", EntryPoint = "open_by_handle_at", SetLastError = true)]
    private static partial int OpenByHandleAt(int mountFd, ref byte handle, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatFs(string path, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
