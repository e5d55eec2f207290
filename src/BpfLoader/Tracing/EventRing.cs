using BpfLoader.Features;
using BpfLoader.Interop;
using BpfLoader.Kernel;
using BpfLoader.Maps;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Uapi;
using BpfLoader.Rings;

namespace BpfLoader.Tracing;

/// <summary>
/// The map a program sends its events through, read as what it is: a BPF ring buffer, a ring buffer per CPU, or
/// where the kernel has none a perf event array. Declare the map as a ring buffer (and, for per-CPU rings, a map of
/// ring buffers beside it), choose the kind with <see cref="ChooseKind(EventRingKind, out string?)"/>, reshape the spec
/// before load with <see cref="Shape(MapSpec, EventRingKind)"/> (or <see cref="Shape(MapSpec, MapSpec, EventRingKind)"/>),
/// and after load open it with <see cref="Open"/> (or <see cref="OpenPerCpu"/>). The program writes with
/// <c>bpf_ringbuf_*</c> or <c>bpf_perf_event_output</c> by a constant the caller sets.
/// The rings are set up when opened and hold what arrives until <see cref="Connect"/> names who takes it, so
/// opening before attaching loses nothing through a perf event array, whose slots are empty until then.
/// </summary>
public sealed class EventRing : IDisposable
{
    private readonly RingReader _reader;
    private readonly BpfMap[] _cpuRings = [];   // per CPU: ours, made at open
    private readonly BpfMap? _ringsByCpu;
    private readonly int[] _cpus = [];          // the CPU of each of _cpuRings
    private int _placed;                        // _cpuRings stored in _ringsByCpu so far
    private RecordHandler? _onRecord;
    private Variable? _readerWaiting;           // see UseWakeupFlag
    private bool _waitingExactly;               // the flag was set before a grace period, and not cleared by EndWait since

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

    private EventRing(BpfMap ringsByCpu, uint ringBytes, BpfMap shared, int timestampOffset, EventRingOptions options)
    {
        Kind = EventRingKind.RingBufferPerCpu;
        if (ringsByCpu.Type == BpfMapType.Array)
        {
            var array = new RingArray(ringsByCpu, ringBytes);
            try
            {
                _reader = new MergedRingBufferReader(array, [shared], timestampOffset, Deliver, options.MapRingBufferDataTwice);
            }
            catch
            {
                array.Dispose();
                throw;
            }
            return;
        }
        var rings = new List<BpfMap>();
        var cpus = new List<int>();
        try
        {
            foreach (int cpu in CpuList.OnlinePossible().Cpus)
            {
                if (cpu >= ringsByCpu.MaxEntries)
                    continue;
                rings.Add(BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Ringbuf, MaxEntries = ringBytes, Name = "cpu_ring" }));
                cpus.Add(cpu);
            }
            _reader = new MergedRingBufferReader(rings, [shared], timestampOffset, Deliver, options.MapRingBufferDataTwice);
        }
        catch
        {
            foreach (BpfMap ring in rings) ring.Dispose();
            throw;
        }
        _cpuRings = [.. rings];
        _ringsByCpu = ringsByCpu;
        _cpus = [.. cpus];
    }

    /// <summary>
    /// Per-CPU rings: stores the next CPU's ring in its slot of the map of rings, and returns true while more remain
    /// (false at once for the other kinds). Until its ring is in place, a CPU's programs write the shared ring, which
    /// is read with the others, so nothing is lost meanwhile. Each store makes the kernel wait for an RCU grace period
    /// (milliseconds; tens in a VM), which is why this is a step of its own: a read loop calls it once per turn after
    /// it has started, so that the wait delays neither its start nor, on a host of many CPUs, its draining.
    /// </summary>
    public bool PlaceNextCpuRing()
    {
        if (_placed < _cpuRings.Length)
        {
            _ringsByCpu!.Update(_cpus[_placed], _cpuRings[_placed].Fd.Value);
            _placed++;
        }
        return _placed < _cpuRings.Length;
    }

    /// <summary>Stores every CPU's ring that is not yet in its slot (see <see cref="PlaceNextCpuRing"/>).</summary>
    public void PlaceCpuRings()
    {
        while (PlaceNextCpuRing()) { }
    }

    /// <summary>Whether this ring is a ring buffer or a perf event array.</summary>
    public EventRingKind Kind { get; }

    /// <summary>
    /// Ring buffers: has the programs wake the reader only while it waits (<see cref="PrepareToWait"/>), rather than the
    /// kernel for the first record into each empty ring, an interrupt raised inside the program after every drain, in
    /// vain while the reader drains on a timer. <paramref name="readerWaiting"/> is a u32 global of the programs'
    /// collection (in <c>.bss</c>), which they read, in the same run, after each record is in (submitted with
    /// <c>BPF_RB_NO_WAKEUP</c>): when it is not 0, they set it to 0 and force a wakeup of a ring this reader polls (say
    /// a small reservation discarded with <c>BPF_RB_FORCE_WAKEUP</c>). The programs need no barrier of their own (see
    /// <see cref="PrepareToWait"/>). Ignored for a perf event array.
    /// </summary>
    public void UseWakeupFlag(Variable readerWaiting)
    {
        ArgumentNullException.ThrowIfNull(readerWaiting);
        if (readerWaiting.Size != sizeof(uint) || readerWaiting.IsReadOnly)
            throw new ArgumentException($"{readerWaiting} must be a writable u32", nameof(readerWaiting));
        if (Kind != EventRingKind.PerfEventArray)
            _readerWaiting = readerWaiting;
    }

    /// <summary>
    /// Before a wait on the rings: asks the programs to wake the reader with their next record (see
    /// <see cref="UseWakeupFlag"/>), and returns false when a ring holds records, committed or still being written,
    /// which the caller should drain rather than wait for. Without the flag, true at once: the kernel wakes the reader.
    /// Call <see cref="EndWait"/> when the wait is over. Not <paramref name="exact"/>: a record whose program read the
    /// flag just before it was set raises no wakeup (the next record does), so wait briefly. <paramref name="exact"/>:
    /// after setting the flag the reader waits for an RCU grace period (membarrier; milliseconds, during which it drains
    /// nothing) before it looks at the rings a last time: a program's run that ended before then left its record for
    /// the reader to see, and one that began after sees the flag; so a long wait misses nothing. Where the kernel
    /// refuses the grace period (nohz_full CPUs) it is not exact. A wait after one that brought nothing, with no
    /// <see cref="EndWait"/> between, needs no new grace period while no program has taken the flag.
    /// </summary>
    public bool PrepareToWait(bool exact)
    {
        if (_readerWaiting is null)
            return true;
        if (_reader.HoldsRecords)
            return false;
        if (exact && _waitingExactly && _readerWaiting.Read<uint>() != 0)
            return true;   // set since a grace period, and no program has taken it: nothing came since
        _readerWaiting.Write(1u);
        _waitingExactly = exact && Libc.GlobalMemoryBarrier();
        if (!_waitingExactly)
            Interlocked.MemoryBarrier();
        return !_reader.HoldsRecords;
    }

    /// <summary>After a wait that brought records: the reader drains on its own again, and the programs need not wake
    /// it. A caller whose wait brought nothing may leave the flag set: its next wait then needs no new grace period.</summary>
    public void EndWait()
    {
        _readerWaiting?.Write(0u);
        _waitingExactly = false;
    }

    /// <summary>
    /// The kind this kernel takes: a ring buffer where it has one, unless <paramref name="forcePerfEventArray"/>.
    /// <paramref name="fallbackReason"/> says, in one line, what the kernel lacks and what is done instead when
    /// the kernel forced the perf event array; null when it did not (a ring buffer, or a forced perf event array).
    /// </summary>
    public static EventRingKind ChooseKind(bool forcePerfEventArray, out string? fallbackReason) =>
        ChooseKind(forcePerfEventArray ? EventRingKind.PerfEventArray : EventRingKind.RingBuffer, out fallbackReason);

    /// <summary>
    /// The kind this kernel takes, as close to <paramref name="preferred"/> as it allows: per-CPU ring buffers where it
    /// holds ring buffers in a map of maps, else one ring buffer, else a perf event array. <paramref name="fallbackReason"/>
    /// says, in one line, why the kernel forced a perf event array (the ring buffers' sharing changes no record: it is not told).
    /// </summary>
    public static EventRingKind ChooseKind(EventRingKind preferred, out string? fallbackReason)
    {
        fallbackReason = null;
        if (preferred == EventRingKind.PerfEventArray) return EventRingKind.PerfEventArray;
        if (preferred == EventRingKind.RingBufferPerCpu && KernelFeatures.HasRingBufferMapOfMaps) return EventRingKind.RingBufferPerCpu;
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
        if (kind is EventRingKind.RingBuffer or EventRingKind.RingBufferPerCpu)
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
    /// Shapes both maps a program with per-CPU rings declares: <paramref name="map"/>, a ring buffer, and
    /// <paramref name="ringsByCpu"/>, either an array created <c>BPF_F_MMAPABLE</c> whose values are rings (see
    /// <see cref="RingArray"/>: for <see cref="EventRingKind.RingBufferPerCpu"/> an element per CPU up to the last one
    /// online, since every element is memory from the start, mapped whole, and a host may list hundreds of possible
    /// CPUs it never brings online; a CPU past them writes <paramref name="map"/>; else one element, which the
    /// program does not write), or an ARRAY_OF_MAPS of ring buffers (<c>__array(values, struct { ... RINGBUF ... })</c>)
    /// whose program looks up its CPU's ring there and falls back to <paramref name="map"/> where it finds none.
    /// <see cref="EventRingKind.RingBufferPerCpu"/>: a slot per possible CPU, and an inner ring of one page as the template
    /// (each CPU's ring is made at <see cref="OpenPerCpu"/>, of the size the caller reads from the declaration before
    /// this); <paramref name="map"/> is kept for a CPU whose ring is full or not (yet) in its slot. Otherwise
    /// <paramref name="ringsByCpu"/> is made the smallest map of maps any kernel takes (one slot, of arrays: older kernels
    /// hold no ring buffer in one), and <paramref name="map"/> is shaped as by <see cref="Shape(MapSpec, EventRingKind)"/>.
    /// </summary>
    public static void Shape(MapSpec map, MapSpec ringsByCpu, EventRingKind kind)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(ringsByCpu);
        if (ringsByCpu.Type == BpfMapType.Array && (ringsByCpu.Flags & (uint)MapFlags.Mmapable) != 0)
        {
            Shape(map, kind == EventRingKind.RingBufferPerCpu ? EventRingKind.RingBuffer : kind);
            ringsByCpu.MaxEntries = kind == EventRingKind.RingBufferPerCpu ? (uint)(CpuList.OnlinePossible().Cpus[^1] + 1) : 1;
            return;
        }
        if (ringsByCpu.Type != BpfMapType.ArrayOfMaps || ringsByCpu.InnerMap?.Type != BpfMapType.Ringbuf)
            throw new ArgumentException($"map '{ringsByCpu.Name}' is declared as a {ringsByCpu.Type}, not an array of ring buffers", nameof(ringsByCpu));
        if (kind == EventRingKind.RingBufferPerCpu)
        {
            Shape(map, EventRingKind.RingBuffer);
            ringsByCpu.MaxEntries = (uint)(CpuList.Possible().Cpus[^1] + 1);
            // The template the kernel checks what the map holds against: its type, not its size (a page spares
            // making a ring of the real size only to close it).
            ringsByCpu.InnerMap = new MapSpec(ringsByCpu.InnerMap.Name, BpfMapType.Ringbuf, 0, 0, (uint)Environment.SystemPageSize);
            return;
        }
        Shape(map, kind);
        ringsByCpu.MaxEntries = 1;
        ringsByCpu.InnerMap = new MapSpec(ringsByCpu.Name + ".inner", BpfMapType.Array, 4, 4, 1);
    }

    /// <summary>
    /// Makes a ring buffer of <paramref name="ringBytes"/> for each online CPU, maps them and <paramref name="shared"/> to
    /// be read as one (<see cref="MergedRingBufferReader"/>), by the <c>bpf_ktime_get_ns()</c> time each record carries
    /// at <paramref name="timestampOffset"/>, taken after its reservation; and stores each ring in
    /// <paramref name="ringsByCpu"/> at its CPU's index (see <see cref="Shape(MapSpec, MapSpec, EventRingKind)"/>) when
    /// told to (<see cref="PlaceNextCpuRing"/>, <see cref="PlaceCpuRings"/>), since each store waits for the kernel:
    /// the program must write <paramref name="shared"/> where it finds no ring of its CPU's. Where
    /// <paramref name="ringsByCpu"/> is an array of rings (<see cref="RingArray"/>), its rings are mapped, of
    /// <paramref name="ringBytes"/> each, and there is nothing to place. Nothing is read until <see cref="Connect"/>.
    /// </summary>
    public static EventRing OpenPerCpu(BpfMap ringsByCpu, uint ringBytes, BpfMap shared, int timestampOffset, EventRingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ringsByCpu);
        ArgumentNullException.ThrowIfNull(shared);
        if (ringsByCpu.Type is not (BpfMapType.ArrayOfMaps or BpfMapType.Array))
            throw new ArgumentException($"{ringsByCpu} is neither a map of maps ({BpfMapType.ArrayOfMaps}) nor an array of rings", nameof(ringsByCpu));
        if (shared.Type != BpfMapType.Ringbuf)
            throw new ArgumentException($"{shared} is not a ring buffer ({BpfMapType.Ringbuf})", nameof(shared));
        return new EventRing(ringsByCpu, ringBytes, shared, timestampOffset, options ?? new EventRingOptions());
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
    public void Dispose()
    {
        _reader.Dispose();
        foreach (BpfMap ring in _cpuRings) ring.Dispose();
    }
}
