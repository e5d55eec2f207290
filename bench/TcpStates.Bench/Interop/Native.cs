using System.Runtime.InteropServices;

namespace TcpStates.Bench.Interop;

/// <summary>
/// The libc calls of the harness: raw sockets for the load (the workload must cost as little as
/// possible), posix_spawn and wait4 for tracers (so the harness owns their fds and reaps them with
/// rusage), and the bpf syscall for run-time statistics.
/// </summary>
internal static unsafe partial class Native
{
    private const string LibName = "libc";

    internal const int AfInet = 2, AfInet6 = 10;
    internal const int SockStream = 1, SockCloexec = 0x80000;
    internal const int SolSocket = 1, SoReuseAddr = 2, SoLinger = 13;
    internal const int IpProtoIp = 0, IpBindAddressNoPort = 24;
    internal const int ShutRdWr = 2;
    internal const int ORdOnly = 0, OWrOnly = 1, OCreat = 0x40, OTrunc = 0x200, ORdWr = 2, ONoCtty = 0x100, OCloexec = 0x80000;
    internal const int WNoHang = 1;
    internal const int SigInt = 2, SigKill = 9;
    internal const nint SigIgn = 1;
    internal const int EIntr = 4, EAgain = 11, EInval = 22, EConnAborted = 103, EConnReset = 104;

    [LibraryImport(LibName, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(LibName, EntryPoint = "connect", SetLastError = true)]
    internal static partial int Connect(int fd, byte* addr, int addrLen);

    [LibraryImport(LibName, EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(int fd, byte* addr, int addrLen);

    [LibraryImport(LibName, EntryPoint = "listen", SetLastError = true)]
    internal static partial int Listen(int fd, int backlog);

    [LibraryImport(LibName, EntryPoint = "accept4", SetLastError = true)]
    internal static partial int Accept4(int fd, byte* addr, int* addrLen, int flags);

    [LibraryImport(LibName, EntryPoint = "recv", SetLastError = true)]
    internal static partial nint Recv(int fd, byte* buf, nuint len, int flags);

    [LibraryImport(LibName, EntryPoint = "setsockopt", SetLastError = true)]
    internal static partial int SetSockOpt(int fd, int level, int name, void* value, int valueLen);

    [LibraryImport(LibName, EntryPoint = "getsockname", SetLastError = true)]
    internal static partial int GetSockName(int fd, byte* addr, int* addrLen);

    [LibraryImport(LibName, EntryPoint = "shutdown", SetLastError = true)]
    internal static partial int Shutdown(int fd, int how);

    [LibraryImport(LibName, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(LibName, EntryPoint = "posix_openpt", SetLastError = true)]
    internal static partial int PosixOpenPt(int flags);

    [LibraryImport(LibName, EntryPoint = "grantpt", SetLastError = true)]
    internal static partial int GrantPt(int fd);

    [LibraryImport(LibName, EntryPoint = "unlockpt", SetLastError = true)]
    internal static partial int UnlockPt(int fd);

    // Returns the error number.
    [LibraryImport(LibName, EntryPoint = "ptsname_r")]
    internal static partial int PtsNameR(int fd, byte* buf, nuint len);

    [LibraryImport(LibName, EntryPoint = "pipe2", SetLastError = true)]
    internal static partial int Pipe2(int* fds, int flags);

    // posix_spawn returns the error number instead of setting errno.
    [LibraryImport(LibName, EntryPoint = "posix_spawn")]
    internal static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(LibName, EntryPoint = "posix_spawn_file_actions_init")]
    internal static partial int FileActionsInit(void* fileActions);

    [LibraryImport(LibName, EntryPoint = "posix_spawn_file_actions_destroy")]
    internal static partial int FileActionsDestroy(void* fileActions);

    [LibraryImport(LibName, EntryPoint = "posix_spawn_file_actions_adddup2")]
    internal static partial int FileActionsAddDup2(void* fileActions, int fd, int newFd);

    [LibraryImport(LibName, EntryPoint = "posix_spawn_file_actions_addopen")]
    internal static partial int FileActionsAddOpen(void* fileActions, int fd, byte* path, int flags, uint mode);

    [LibraryImport(LibName, EntryPoint = "posix_spawnattr_init")]
    internal static partial int SpawnAttrInit(void* attr);

    [LibraryImport(LibName, EntryPoint = "posix_spawnattr_destroy")]
    internal static partial int SpawnAttrDestroy(void* attr);

    [LibraryImport(LibName, EntryPoint = "posix_spawnattr_setflags")]
    internal static partial int SpawnAttrSetFlags(void* attr, short flags);

    [LibraryImport(LibName, EntryPoint = "posix_spawnattr_setsigdefault")]
    internal static partial int SpawnAttrSetSigDefault(void* attr, void* signals);

    [LibraryImport(LibName, EntryPoint = "sigemptyset")]
    internal static partial int SigEmptySet(void* set);

    [LibraryImport(LibName, EntryPoint = "sigaddset")]
    internal static partial int SigAddSet(void* set, int signal);

    /// <summary>glibc's struct sigaction (handler, mask, flags, restorer), taken and returned whole: for saving and
    /// restoring one.</summary>
    [LibraryImport(LibName, EntryPoint = "sigaction", SetLastError = true)]
    internal static partial int SigAction(int signal, void* action, void* old);

    internal const short PosixSpawnSetSigDef = 0x04;
    internal const int SigTerm = 15;

    /// <summary>glibc's posix_spawnattr_t is 336 bytes on 64-bit, its sigset_t 128 and struct sigaction 152; room to spare.</summary>
    internal const int SpawnAttrSize = 512, SigSetSize = 128, SigActionSize = 256;

    [LibraryImport(LibName, EntryPoint = "wait4", SetLastError = true)]
    internal static partial int Wait4(int pid, int* status, int options, Rusage* usage);

    [LibraryImport(LibName, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport(LibName, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall(long number, long a1, long a2, long a3);

    internal const int ClockMonotonic = 1, TimerAbsTime = 1;

    /// <summary>CPUCLOCK_SCHED: a process CPU clock that counts scheduler run time, in nanoseconds.</summary>
    internal const int CpuClockSched = 2;

    /// <summary>The kernel's clock id of another process's CPU time (MAKE_PROCESS_CPUCLOCK in linux/posix-timers.h):
    /// what clock_getcpuclockid gives, without its check that the caller may read it.</summary>
    internal static int ProcessCpuClock(int pid) => (~pid << 3) | CpuClockSched;

    [LibraryImport(LibName, EntryPoint = "clock_gettime", SetLastError = true)]
    internal static partial int ClockGetTime(int clock, Timespec* time);

    // Returns the error number.
    [LibraryImport(LibName, EntryPoint = "clock_nanosleep")]
    internal static partial int ClockNanosleep(int clock, int flags, Timespec* request, Timespec* remain);

    /// <summary>glibc's posix_spawn_file_actions_t is 80 bytes on 64-bit; room to spare.</summary>
    internal const int FileActionsSize = 256;

    internal static int LastErrno => Marshal.GetLastPInvokeError();

    internal static string ErrnoText(int errno) => $"errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})";
}

/// <summary>struct rusage (64-bit): two timevals, then fourteen longs, ru_maxrss first (KiB).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Rusage
{
    public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
    public long MaxRssKiB;
    public long IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NvCsw, NivCsw;

    public readonly long CpuNanoseconds =>
        (UserSeconds + SystemSeconds) * 1_000_000_000L + (UserMicroseconds + SystemMicroseconds) * 1_000L;
}

/// <summary>struct timespec (64-bit).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Timespec
{
    public long Seconds, Nanoseconds;
}
