namespace BpfLoader.Tracing;

/// <summary>How a program's events reach user space.</summary>
public enum EventRingKind
{
    /// <summary>A BPF ring buffer (<c>BPF_MAP_TYPE_RINGBUF</c>, Linux 5.8): one ring shared by all CPUs.</summary>
    RingBuffer,

    /// <summary>A perf event array (<c>BPF_MAP_TYPE_PERF_EVENT_ARRAY</c>): one perf ring per CPU, for kernels with no ring buffer.</summary>
    PerfEventArray,

    /// <summary>
    /// A BPF ring buffer per CPU, held in a map of maps (<c>BPF_MAP_TYPE_ARRAY_OF_MAPS</c> of ring buffers, Linux 5.10),
    /// which no two CPUs' programs contend for, plus the shared ring buffer for a CPU that has none; read as one, by the
    /// time each record carries (<see cref="Rings.MergedRingBufferReader"/>).
    /// </summary>
    RingBufferPerCpu,
}
