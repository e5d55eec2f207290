namespace BpfLoader.Interop;

internal static partial class Libc
{
    internal const int EfdCloexec = OCloexec, EfdNonblock = ONonblock;   // eventfd(2) flags
    internal const int EpollCloexec = OCloexec;
    internal const long BpfRingbufMapType = 27;                          // BPF_MAP_TYPE_RINGBUF
    internal const long MembarrierCmdGlobal = 1;                         // MEMBARRIER_CMD_GLOBAL: synchronize_rcu()

    /// <summary>
    /// membarrier(MEMBARRIER_CMD_GLOBAL): returns once every CPU has passed an RCU grace period, so that every BPF
    /// program run that began before the call has ended, and every one that begins after it sees this thread's stores
    /// from before it. Milliseconds. False where the kernel refuses (nohz_full CPUs, or a seccomp filter).
    /// </summary>
    internal static bool GlobalMemoryBarrier() => Syscall(SysMembarrier, MembarrierCmdGlobal, 0, 0, 0, 0) == 0;
}
