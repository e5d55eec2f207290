namespace BpfLoader.Tracing;

/// <summary>How a program's events reach user space.</summary>
public enum EventRingKind
{
    /// <summary>A BPF ring buffer (<c>BPF_MAP_TYPE_RINGBUF</c>, Linux 5.8): one ring shared by all CPUs.</summary>
    RingBuffer,

    /// <summary>A perf event array (<c>BPF_MAP_TYPE_PERF_EVENT_ARRAY</c>): one perf ring per CPU, for kernels with no ring buffer.</summary>
    PerfEventArray,
}
