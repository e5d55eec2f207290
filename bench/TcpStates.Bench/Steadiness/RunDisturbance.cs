using System.Globalization;
using TcpStates.Bench.Measurement;

namespace TcpStates.Bench.Steadiness;

/// <summary>What else happened on the machine while one load ran.</summary>
internal sealed record RunDisturbance(double StealFraction, double ForeignCores, long Retransmits, long ListenOverflows)
{
    /// <summary>
    /// From the host's counters over the load's window and the CPU the load and the tracer used in
    /// it: the rest of the busy time is someone else's (other builds, tests, VMs).
    /// </summary>
    public static RunDisturbance From(MachineCounters window, long windowNs, long loadCpuNs, long tracerCpuNs)
    {
        double steal = window.TotalTicks > 0 ? window.StealTicks / (double)window.TotalTicks : 0;
        double foreignNs = window.BusyTicks * MachineCounters.NanosecondsPerTick - loadCpuNs - tracerCpuNs;
        double foreign = windowNs > 0 ? Math.Max(0, foreignNs) / windowNs : 0;
        return new RunDisturbance(steal, foreign, window.RetransSegs, window.ListenOverflows + window.ListenDrops);
    }

    /// <summary>
    /// Why this run does not count as steady; empty when it does. Retransmits and listen overflows count against the
    /// machine in an untraced run only: in a traced one they are the tracer's own doing (a slow program on the softirq
    /// path overflows loopback's backlog, and its segments are sent again), part of what it costs, not a disturbance.
    /// </summary>
    public IEnumerable<string> Reasons(SteadinessLimits limits, bool traced)
    {
        if (StealFraction > limits.MaxStealFraction)
            yield return string.Create(CultureInfo.InvariantCulture, $"steal {StealFraction:P0}");
        if (ForeignCores > limits.MaxForeignCores)
            yield return string.Create(CultureInfo.InvariantCulture, $"others used {ForeignCores:0.00} cores");
        if (traced)
            yield break;
        if (Retransmits > limits.MaxRetransmits)
            yield return string.Create(CultureInfo.InvariantCulture, $"{Retransmits} retransmits");
        if (ListenOverflows > 0)
            yield return string.Create(CultureInfo.InvariantCulture, $"{ListenOverflows} listen overflows/drops");
    }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"others {ForeignCores:0.00} cores, steal {StealFraction:P0}, {Retransmits} retrans, {ListenOverflows} overflows");
}
