using BpfLoader.Interop;

namespace BpfLoader.Programs;

/// <summary>
/// BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): while this is alive the kernel counts run_cnt and
/// run_time_ns for every program. Stats stay on as long as any holder keeps its fd.
/// </summary>
public sealed class BpfStats : IDisposable
{
    /// <summary>The fd that keeps statistics on.</summary>
    internal FileDescriptor Fd { get; }

    private BpfStats(FileDescriptor fd) => Fd = fd;

    /// <summary>Turns on run-time statistics (BPF_ENABLE_STATS) until the returned object is disposed.</summary>
    public static BpfStats Enable()
    {
        var attr = new EnableStatsAttr { Type = EnableStatsAttr.StatsRunTime };
        return new BpfStats(BpfSyscall.InvokeForFd(BpfCommand.EnableStats, ref attr, "BPF_STATS_RUN_TIME"));
    }

    /// <summary>Closes the fd: statistics stop once no other holder keeps them on.</summary>
    public void Dispose() => Fd.Dispose();
}
