namespace BpfLoader.Rings;

/// <summary>
/// Where a ring's record times fall back in one round of <see cref="MergedRingBufferReader"/>: the position of the
/// first record of a run of non-decreasing times, and the earliest time of that run and every run after it in the ring.
/// </summary>
internal struct RingRun(ulong start, ulong earliest)
{
    /// <summary>The ring position of the run's first record.</summary>
    public readonly ulong Start = start;

    /// <summary>The run's first time, until the round makes it the earliest of this run and those after it.</summary>
    public ulong Earliest = earliest;
}
