namespace TcpStates.Bench.Measurement;

/// <summary>run_time_ns and run_cnt summed over a tracer's programs.</summary>
internal readonly record struct BpfRunCounters(long RunTimeNs, long RunCount)
{
    public static BpfRunCounters operator -(BpfRunCounters after, BpfRunCounters before) =>
        new(after.RunTimeNs - before.RunTimeNs, after.RunCount - before.RunCount);

    public static BpfRunCounters Subtract(BpfRunCounters after, BpfRunCounters before) => after - before;
}
