namespace BpfLoader.Tracing;

/// <summary>What a <see cref="LossCounter"/> counted at its last reading, by cause (totals since it was made).</summary>
/// <param name="RingFull">Events the programs found no room for in the ring (their own per-CPU count).</param>
/// <param name="RecursionMisses">Calls of the main program the kernel skipped because it was already running on that CPU.</param>
/// <param name="Caught">Of those, the events a second program on the same hook traced instead (its own per-CPU count).</param>
/// <param name="NeverReached">Hits of the tracepoint that reached no program and were not counted as a miss either; 0 with no hit count.</param>
/// <param name="HitsCounted">The tracepoint's hits as of the last reading of the hit count; null when there is no hit count.</param>
public readonly record struct LossBreakdown(ulong RingFull, ulong RecursionMisses, ulong Caught, ulong NeverReached, ulong? HitsCounted)
{
    /// <summary>All events lost: ring full, plus misses not caught, plus hits that never reached a program.</summary>
    public ulong Total => RingFull + (RecursionMisses > Caught ? RecursionMisses - Caught : 0) + NeverReached;
}
