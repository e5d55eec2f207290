using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>
/// The libc entry points the loader uses. This folder is the only place with P/Invoke; other
/// partial files of this class add the calls of one concept each (bpf, perf, epoll, mmap).
/// </summary>
internal static unsafe partial class Libc
{
    private const string LibName = "libc";

    internal static readonly long SysBpf = SyscallNumbers.Current.Bpf;
    internal static readonly long SysPerfEventOpen = SyscallNumbers.Current.PerfEventOpen;
    internal static readonly long SysMembarrier = SyscallNumbers.Current.Membarrier;

    [LibraryImport(LibName, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5);

    [LibraryImport(LibName, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(LibName, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, void* buf, nuint count);

    [LibraryImport(LibName, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, void* buf, nuint count);

    [LibraryImport(LibName, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(int fd, ulong request, nint arg);

    [LibraryImport(LibName, EntryPoint = "setsockopt", SetLastError = true)]
    internal static partial int SetSockOpt(nint socket, int level, int name, void* value, uint length);

    [LibraryImport(LibName, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);

    [LibraryImport(LibName, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial uint IfNameToIndex(string name);

    [LibraryImport(LibName, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int command, int argument);

    internal const int FDupFdCloexec = 1030;   // F_DUPFD_CLOEXEC, the same on x86-64 and aarch64

    // setsockopt: the same numbers on x86-64 and aarch64 (asm-generic/socket.h).
    internal const int SolSocket = 1;
    internal const int SoAttachBpf = 50;
    internal const int SoDetachBpf = 27;
    internal const int ORdOnly = 0;

    [LibraryImport(LibName, EntryPoint = "mmap", SetLastError = true)]
    internal static partial void* Mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(LibName, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int Munmap(void* addr, nuint length);

    [LibraryImport(LibName, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Mount(string source, string target, string fsType, ulong flags, nint data);

    [LibraryImport(LibName, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Umount2(string target, int flags);

    [LibraryImport(LibName, EntryPoint = "sysconf", SetLastError = true)]
    internal static partial long Sysconf(int name);

    [LibraryImport(LibName, EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int EpollCreate1(int flags);

    [LibraryImport(LibName, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static partial int EpollCtl(int epfd, int op, int fd, void* ev);   // one event, EpollEvents.Layout

    [LibraryImport(LibName, EntryPoint = "epoll_wait", SetLastError = true)]
    internal static partial int EpollWait(int epfd, void* events, int maxEvents, int timeoutMs);

    [LibraryImport(LibName, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int EventFd(uint initval, int flags);

    /// <summary>clock_gettime(2); <paramref name="timespec"/>: tv_sec and tv_nsec, two longs on the 64-bit ABIs we ship.</summary>
    [LibraryImport(LibName, EntryPoint = "clock_gettime")]
    [SuppressGCTransition]   // the vDSO: no syscall, no blocking
    internal static partial int ClockGetTime(int clockId, long* timespec);

    internal const int ClockMonotonic = 1;
    internal const int ScPageSize = 30;   // _SC_PAGESIZE
    internal const int ProtRead = 1, ProtWrite = 2;
    internal const int MapShared = 1, MapPrivate = 2;
    internal static readonly void* MapFailed = (void*)-1;
    internal const int OCloexec = 0x80000;
    internal const int ONonblock = 0x800;
    internal const int EpollCtlAdd = 1, EpollCtlDel = 2, EpollCtlMod = 3;
    internal const uint EpollIn = 0x001;

    /// <summary>The calling thread's errno after a failed call with SetLastError.</summary>
    internal static int Errno => Marshal.GetLastPInvokeError();

    internal static int PageSize { get; } = (int)Sysconf(ScPageSize);
}
