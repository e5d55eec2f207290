namespace BpfLoader.Rings;

/// <summary>
/// Size and wakeup policy of the per-CPU perf rings. The default wakes the reader for every record
/// (as libbpf does); a watermark trades latency for fewer wakeups under load.
/// </summary>
public sealed class PerfEventRingOptions
{
    /// <summary>Data pages per CPU, a power of two (the ring maps one control page more).</summary>
    public int DataPages { get; init; } = 64;

    /// <summary>Wake the reader after this many records (used when <see cref="WakeupWatermarkBytes"/> is 0).</summary>
    public uint WakeupEvents { get; init; } = 1;

    /// <summary>When not 0, wake the reader once this many bytes are waiting, instead of counting records.</summary>
    public uint WakeupWatermarkBytes { get; init; }

    internal static PerfEventRingOptions Default { get; } = new();

    internal void Validate()
    {
        if (DataPages <= 0 || (DataPages & (DataPages - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(DataPages), DataPages, "a power of two");
        if (WakeupWatermarkBytes == 0 && WakeupEvents == 0)
            throw new ArgumentOutOfRangeException(nameof(WakeupEvents), WakeupEvents, "at least 1 (or set a watermark)");
    }
}
