using BpfLoader.Features;
using BpfLoader.Kernel;
using BpfLoader.Maps;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Uapi;
using BpfLoader.Rings;

namespace BpfLoader.Tracing;

/// <summary>
/// The map a program sends its events through, read as what it is: a BPF ring buffer, or where the kernel
/// has none a perf event array. Declare the map as a ring buffer, choose the kind with <see cref="ChooseKind"/>,
/// reshape the spec before load with <see cref="Shape"/>, and after load open it with <see cref="Open"/>. The
/// program writes with <c>bpf_ringbuf_*</c> or <c>bpf_perf_event_output</c> by a constant the caller sets.
/// The rings are set up when opened and hold what arrives until <see cref="Connect"/> names who takes it, so
/// opening before attaching loses nothing through a perf event array, whose slots are empty until then.
/// </summary>
public sealed class EventRing : IDisposable
{
    private readonly RingReader _reader;
    private RecordHandler? _onRecord;

    private EventRing(BpfMap map, EventRingOptions options)
    {
        Kind = map.Type switch
        {
            BpfMapType.Ringbuf => EventRingKind.RingBuffer,
            BpfMapType.PerfEventArray => EventRingKind.PerfEventArray,
            _ => throw new ArgumentException($"map '{map.Name}' is a {map.Type}, neither a ring buffer nor a perf event array", nameof(map)),
        };
        _reader = Kind == EventRingKind.RingBuffer
            ? new RingBufferReader(map, Deliver, options.MapRingBufferDataTwice)
            : new PerfEventArrayReader(map, Deliver, options.OnPerfRecordsLost, options.PerfRings);
    }

    /// <summary>Whether this ring is a ring buffer or a perf event array.</summary>
    public EventRingKind Kind { get; }

    /// <summary>
    /// The kind this kernel takes: a ring buffer where it has one, unless <paramref name="forcePerfEventArray"/>.
    /// <paramref name="fallbackReason"/> says, in one line, what the kernel lacks and what is done instead when
    /// the kernel forced the perf event array; null when it did not (a ring buffer, or a forced perf event array).
    /// </summary>
    public static EventRingKind ChooseKind(bool forcePerfEventArray, out string? fallbackReason)
    {
        fallbackReason = null;
        if (forcePerfEventArray) return EventRingKind.PerfEventArray;
        if (KernelFeatures.HasRingBuffer) return EventRingKind.RingBuffer;
        fallbackReason = "this kernel has no BPF ring buffer (Linux 5.8): reading events through a perf buffer";
        return EventRingKind.PerfEventArray;
    }

    /// <summary>
    /// Makes <paramref name="map"/> (declared as a ring buffer) the <paramref name="kind"/> of map to create:
    /// for a perf event array, u32 keys and values and one entry per possible CPU. A ring buffer is left as declared.
    /// </summary>
    public static void Shape(MapSpec map, EventRingKind kind)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (kind == EventRingKind.RingBuffer)
        {
            if (map.Type != BpfMapType.Ringbuf)
                throw new ArgumentException($"map '{map.Name}' is declared as a {map.Type}, not a ring buffer", nameof(map));
            return;
        }
        map.Type = BpfMapType.PerfEventArray;
        map.KeySize = 4;
        map.ValueSize = 4;
        map.MaxEntries = 0;   // the loader makes it one per possible CPU
    }

    /// <summary>
    /// Maps the rings of <paramref name="map"/> (a ring buffer, or a perf event array whose per-CPU perf events
    /// it opens and stores in the map). Nothing is read until <see cref="Connect"/>.
    /// </summary>
    public static EventRing Open(BpfMap map, EventRingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        return new EventRing(map, options ?? new EventRingOptions());
    }

    /// <summary>
    /// Sends every record read from now on to <paramref name="onRecord"/>, and returns the reader to drain or to
    /// add to a <see cref="RingPoller"/>. The reader belongs to this ring: dispose the ring, not the reader.
    /// </summary>
    public RingReader Connect(RecordHandler onRecord)
    {
        ArgumentNullException.ThrowIfNull(onRecord);
        _onRecord = onRecord;
        return _reader;
    }

    private void Deliver(ReadOnlySpan<byte> record)
    {
        // Nothing drains before Connect; a reader drained anyway would lose the record: refuse loudly.
        (_onRecord ?? throw new InvalidOperationException("an event ring was read before Connect named who takes its records"))(record);
    }

    /// <summary>Unmaps the rings and closes their fds; call it only after every Poll over the reader has returned.</summary>
    public void Dispose() => _reader.Dispose();
}
