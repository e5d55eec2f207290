using System.Runtime.InteropServices;
using BpfLoader.Interop;

namespace BpfLoader.Tests.Kernel;

/// <summary>Makes the syscalls that fire the tests' tracepoints, straight through syscall(2) so nothing caches them.</summary>
internal static class Syscalls
{
    private static readonly long s_getpid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 172 : 39;
    private static readonly long s_getsid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 156 : 124;

    public static void GetPid(int times)
    {
        for (int i = 0; i < times; i++)
            Libc.Syscall(s_getpid, 0, 0, 0, 0, 0);
    }

    /// <summary>getsid(0): a syscall hardly anything else on the host makes (syscalls:sys_enter_getsid).</summary>
    public static void GetSid(int times)
    {
        for (int i = 0; i < times; i++)
            Libc.Syscall(s_getsid, 0, 0, 0, 0, 0);
    }

    /// <summary>
    /// Detaching unregisters the probe but does not wait for runs already in flight on another CPU;
    /// give them a moment so a "stopped counting" check sees the final value.
    /// </summary>
    public static void LetInFlightRunsFinish() => Thread.Sleep(200);
}
