using BpfLoader.Interop;

namespace BpfLoader.Programs;

/// <summary>
/// BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): while this is alive the kernel counts run_cnt and
/// run_time_ns for every program. Stats stay on as long as any holder keeps its fd.
/// </summary>
public sealed class BpfStats : IDisposable
{
    public FileDescriptor Fd { get; }

    private BpfStats(FileDescriptor fd) => Fd = fd;

    public static BpfStats Enable()
    {
        var attr = new EnableStatsAttr { Type = EnableStatsAttr.StatsRunTime };
        return new BpfStats(BpfSyscall.InvokeForFd(BpfCommand.EnableStats, ref attr, "BPF_STATS_RUN_TIME"));
    }

    public void Dispose() => Fd.Dispose();
}
