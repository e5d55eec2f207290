using System.Globalization;
using System.Runtime.InteropServices;
using TcpStates.Bench.Interop;

namespace TcpStates.Bench.Measurement;

/// <summary>
/// The kernel's per-program run statistics. Enabled with BPF_ENABLE_STATS rather than by writing
/// kernel.bpf_stats_enabled: the kernel keeps them on only while our fd is open, so they go off
/// again however the harness ends, even killed.
/// </summary>
internal sealed unsafe class BpfRunStatistics : IDisposable
{
    private const int BpfProgGetFdById = 13;
    private const int BpfEnableStats = 32;
    private const int BpfStatsRunTime = 0;
    private static readonly long SysBpf = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 280 : 321;

    private readonly int _fd;

    private BpfRunStatistics(int fd) => _fd = fd;

    public static BpfRunStatistics Enable()
    {
        uint type = BpfStatsRunTime;
        long fd = Native.Syscall(SysBpf, BpfEnableStats, (long)&type, sizeof(uint));
        if (fd < 0)
            throw new NativeCallException("bpf(BPF_ENABLE_STATS)", Native.LastErrno);
        return new BpfRunStatistics((int)fd);
    }

    /// <summary>The counters of the programs (see <see cref="BpfRunCounters"/>), read through fds we open by id.</summary>
    public static BpfRunCounters Read(IEnumerable<uint> programIds)
    {
        long time = 0, events = 0, misses = 0;
        uint* attr = stackalloc uint[3];
        foreach (uint id in programIds)
        {
            // union bpf_attr for BPF_PROG_GET_FD_BY_ID: prog_id, next_id, open_flags.
            attr[0] = id;
            attr[1] = 0;
            attr[2] = 0;
            long fd = Native.Syscall(SysBpf, BpfProgGetFdById, (long)attr, 3 * sizeof(uint));
            if (fd < 0)
                continue;   // unloaded in the meantime
            try
            {
                string? info = ProcessProbe.TryRead($"/proc/self/fdinfo/{fd}");
                time += LongField(info, "run_time_ns");
                long programMisses = LongField(info, "recursion_misses");
                events = Math.Max(events, LongField(info, "run_cnt") + programMisses);
                misses += programMisses;
            }
            finally
            {
                Native.Close((int)fd);
            }
        }
        return new BpfRunCounters(time, events, misses);
    }

    private static long LongField(string? fdinfo, string name)
    {
        foreach (string line in (fdinfo ?? "").Split('\n'))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
                return long.Parse(line[(name.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
        }
        return 0;
    }

    public void Dispose() => Native.Close(_fd);
}
