using BpfLoader.Rings;

namespace BpfLoader.Tracing;

/// <summary>How an <see cref="EventRing"/> maps and reads its rings.</summary>
public sealed class EventRingOptions
{
    /// <summary>
    /// Ring buffer only: map the data area twice, so that a record wrapping around the end reads in place
    /// (true, the default), or once, so that the ring costs its size in memory only once and a wrapping
    /// record is copied (false).
    /// </summary>
    public bool MapRingBufferDataTwice { get; init; } = true;

    /// <summary>Perf event array only: the size of each CPU's ring and when it wakes the reader; null for the reader's defaults.</summary>
    public PerfEventRingOptions? PerfRings { get; init; }

    /// <summary>
    /// Perf event array only: told of the records the kernel dropped for want of room (PERF_RECORD_LOST).
    /// Null when the program counts its own failed outputs: the kernel's count would count them again, and late.
    /// </summary>
    public LostRecordsHandler? OnPerfRecordsLost { get; init; }
}
