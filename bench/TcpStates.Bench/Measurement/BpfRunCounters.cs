namespace TcpStates.Bench.Measurement;

/// <summary>
/// run_time_ns, run_cnt and recursion_misses summed over a tracer's programs. A recursion miss is
/// an event the kernel did not run the program for, because a BPF program was already running on
/// that CPU (e.g. a softirq state change interrupting the program in process context): lost
/// before the tool can see or count it.
/// </summary>
internal readonly record struct BpfRunCounters(long RunTimeNs, long RunCount, long RecursionMisses)
{
    public static BpfRunCounters operator -(BpfRunCounters after, BpfRunCounters before) =>
        new(after.RunTimeNs - before.RunTimeNs, after.RunCount - before.RunCount, after.RecursionMisses - before.RecursionMisses);

    public static BpfRunCounters Subtract(BpfRunCounters after, BpfRunCounters before) => after - before;
}
