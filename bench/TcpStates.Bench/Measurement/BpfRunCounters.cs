namespace TcpStates.Bench.Measurement;

/// <summary>
/// A tracer's programs' kernel statistics. <see cref="RunTimeNs"/> and <see cref="RecursionMisses"/> are
/// summed over its programs; <see cref="Events"/> is the state changes they were called for (run_cnt +
/// recursion_misses of the program called most: a tracer may run several programs per change, ours does).
/// A recursion miss is a change the kernel did not run that program for, because it was already running
/// on that CPU (a softirq state change interrupting it in process context). For a one-program tracer
/// every miss is an event lost before the tool can see it; ours runs a second program that catches the
/// first one's misses, so for ours "events missing" is the loss, not this.
/// </summary>
internal readonly record struct BpfRunCounters(long RunTimeNs, long Events, long RecursionMisses)
{
    public static BpfRunCounters operator -(BpfRunCounters after, BpfRunCounters before) =>
        new(after.RunTimeNs - before.RunTimeNs, after.Events - before.Events, after.RecursionMisses - before.RecursionMisses);

    public static BpfRunCounters Subtract(BpfRunCounters after, BpfRunCounters before) => after - before;
}
