using System.Runtime.InteropServices;

namespace BpfLoader.Tests.Kernel;

/// <summary>
/// Keeps the calling thread on one CPU until disposed (sched_setaffinity on the thread itself), for tests
/// whose outcome depends on per-CPU state, such as the perf ring of the CPU a program ran on.
/// </summary>
internal sealed partial class ThreadPin : IDisposable
{
    private const int MaskBytes = 128;   // 1024 CPUs
    private readonly byte[] _previous = new byte[MaskBytes];

    public ThreadPin(int cpu)
    {
        if (GetAffinity(0, MaskBytes, _previous) != 0)
            throw new InvalidOperationException("sched_getaffinity failed: " + Marshal.GetLastPInvokeError());
        var mask = new byte[MaskBytes];
        mask[cpu / 8] = (byte)(1 << (cpu % 8));
        if (SetAffinity(0, MaskBytes, mask) != 0)
            throw new InvalidOperationException("sched_setaffinity failed: " + Marshal.GetLastPInvokeError());
    }

    public void Dispose() => _ = SetAffinity(0, MaskBytes, _previous);

    [LibraryImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static partial int GetAffinity(int tid, nint size, [Out] byte[] mask);

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SetAffinity(int tid, nint size, byte[] mask);
}
