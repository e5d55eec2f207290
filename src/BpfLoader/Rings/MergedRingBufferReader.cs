using System.Runtime.CompilerServices;
using BpfLoader.Interop;
using BpfLoader.Kernel;
using BpfLoader.Maps;

namespace BpfLoader.Rings;

/// <summary>
/// The reader of several BPF ring buffers (typically one per CPU, so that no two CPUs' programs contend for one),
/// which hands their records on in the order of the time each carries: a u64 from <c>bpf_ktime_get_ns()</c> at a
/// fixed offset, read by the program after its <c>bpf_ringbuf_reserve</c>. Records of one ring come in its order;
/// across rings, a record committed before another was reserved comes before it, so that changes to one object made
/// on different CPUs, one after the other, arrive in the order they were made.
/// </summary>
/// <remarks>
/// <para>
/// A ring's order is the order of reservation, and a program reads the clock some time after it reserves: two
/// programs reserving in one ring at once (two CPUs in a shared ring, or an interrupt's program nested in a task's on
/// one CPU) may stamp their records in the other order. So a record is placed by the earliest time stamped on it or on
/// any later record of its ring (it cannot go out after them, nor they before it). Those times keep each ring's
/// order, and a record committed before another was reserved is placed earlier: every time from the other on, in the
/// other's ring, was read after that reservation. Records whose rings run in time order are placed by their own time.
/// </para>
/// <para>
/// Each round reads the clock (<see cref="BpfClock"/>), then every ring's producer position, then walks each ring up
/// to that position or to a record its producer still writes. A record reserved after the positions were read is
/// stamped after that clock reading; a record still being written, or any after it, is stamped after the last clock
/// reading that preceded its reservation (the previous round's, or an older one's), and in a ring of one CPU's, after
/// the time of the committed record before it (see the constructor that takes such rings). The round hands on, merged,
/// the records placed before the earliest of those readings, and leaves the rest for a later round. A record
/// shorter than its time stamp counts as time 0. Times read on different CPUs are as good as the clock's agreement
/// between them.
/// </para>
/// </remarks>
public sealed unsafe class MergedRingBufferReader : RingReader
{
    private readonly RingBufferReader[] _rings;   // those that can be polled (ring buffers), after the array's in _cursors
    private readonly RingArray? _array;
    private readonly RingBufferCursor[] _cursors;
    private readonly RecordHandler _onRecord;
    private readonly int _timestampOffset;
    private readonly Func<ulong> _now;

    // Per ring, reused every round: the producer position this round reads to, where its walk stopped, and the
    // runs the walk found (see RingRun): this ring's are _runs[_firstRun[i].._endRun[i]), and _nextRun[i] is the
    // first whose start the ring's head has not reached. The head's time is what places it (see the remarks).
    private readonly ulong[] _producers;
    private readonly ulong[] _stops;
    private readonly int[] _firstRun;
    private readonly int[] _endRun;
    private readonly int[] _nextRun;
    private RingRun[] _runs;
    private readonly ulong[] _heads;
    private readonly nint[] _bodies;   // the head of each ready ring, and its length
    private readonly int[] _sizes;
    private readonly int[] _heap;      // a min-heap of ring indices by head time

    // What bounds the times a ring can still bring: the clock readings and producer positions of the last rounds
    // (a record at or past a round's position was reserved after its reading), and per ring the latest reading known
    // to precede every record from its consumer position on, for a record older than those rounds.
    private const int Rounds = 16;
    private readonly ulong[] _roundNow = new ulong[Rounds];
    private readonly ulong[] _roundProducers;   // ring i's at [i * Rounds + slot]
    private int _newestRound = -1, _roundCount;
    private readonly ulong[] _floors;

    // Rings [0, _perCpuRings) are each written by one CPU's programs; per ring, the time of the last record walked.
    private readonly int _perCpuRings;
    private readonly ulong[] _lastTimes;

    /// <summary>
    /// Maps each ring buffer of <paramref name="rings"/> (see <see cref="RingBufferReader"/> for
    /// <paramref name="mapDataTwice"/>) and hands their records to <paramref name="onRecord"/> by the u64 time stamp at
    /// <paramref name="timestampOffset"/> in each record (see the remarks), any CPU's programs writing any of them.
    /// The reader holds the maps' fds open until it is disposed; the maps stay the caller's.
    /// </summary>
    public MergedRingBufferReader(IReadOnlyList<BpfMap> rings, int timestampOffset, RecordHandler onRecord, bool mapDataTwice = true)
        : this([], rings, timestampOffset, onRecord, mapDataTwice) { }

    /// <summary>
    /// As the other constructor, where each ring of <paramref name="perCpuRings"/> is written by the programs of one CPU
    /// only (a ring per CPU), and those of <paramref name="sharedRings"/> by any. On one CPU a program runs to its end
    /// unless an interrupt's program nests in it, so a record still being written in a ring of one CPU's was reserved
    /// after the committed record before it was stamped: such a ring holds back only what is later than that time.
    /// </summary>
    public MergedRingBufferReader(IReadOnlyList<BpfMap> perCpuRings, IReadOnlyList<BpfMap> sharedRings, int timestampOffset, RecordHandler onRecord, bool mapDataTwice = true)
        : this(Open([.. perCpuRings ?? throw new ArgumentNullException(nameof(perCpuRings)), .. sharedRings ?? throw new ArgumentNullException(nameof(sharedRings))], mapDataTwice),
               perCpuRings.Count, timestampOffset, onRecord, BpfClock.NowNs) { }

    /// <summary>
    /// As the constructor that takes rings of one CPU's, where those are the rings of <paramref name="perCpuRings"/> (element
    /// i written by CPU i's program alone), which this reader then owns and unmaps when disposed. Only
    /// <paramref name="sharedRings"/> can be polled: the programs must wake the reader through them.
    /// </summary>
    public MergedRingBufferReader(RingArray perCpuRings, IReadOnlyList<BpfMap> sharedRings, int timestampOffset, RecordHandler onRecord, bool mapDataTwice = true)
        : this(Open([.. sharedRings ?? throw new ArgumentNullException(nameof(sharedRings))], mapDataTwice),
               perCpuRings ?? throw new ArgumentNullException(nameof(perCpuRings)), timestampOffset, onRecord)
    {
        if (sharedRings.Count == 0)
            throw new ArgumentException("rings in an array cannot be polled: give a ring buffer the programs wake the reader through", nameof(sharedRings));
    }

    private MergedRingBufferReader(RingBufferReader[] shared, RingArray array, int timestampOffset, RecordHandler onRecord)
        : this(shared, [.. array.Cursors, .. Cursors(shared)], array.Count, timestampOffset, onRecord, BpfClock.NowNs) =>
        _array = array;

    /// <summary>Over cursors alone (synthetic rings in tests), the first <paramref name="perCpuRings"/> each one CPU's:
    /// nothing to map, poll or dispose.</summary>
    internal MergedRingBufferReader(RingBufferCursor[] cursors, int perCpuRings, int timestampOffset, RecordHandler onRecord, Func<ulong> now)
        : this([], cursors, perCpuRings, timestampOffset, onRecord, now) { }

    private MergedRingBufferReader(RingBufferReader[] rings, int perCpuRings, int timestampOffset, RecordHandler onRecord, Func<ulong> now)
        : this(rings, Cursors(rings), perCpuRings, timestampOffset, onRecord, now) { }

    private MergedRingBufferReader(RingBufferReader[] rings, RingBufferCursor[] cursors, int perCpuRings, int timestampOffset, RecordHandler onRecord, Func<ulong> now)
    {
        ArgumentNullException.ThrowIfNull(onRecord);
        ArgumentOutOfRangeException.ThrowIfNegative(timestampOffset);
        if (cursors.Length == 0)
            throw new ArgumentException("a merge needs at least one ring buffer", nameof(rings));
        _perCpuRings = perCpuRings;
        _lastTimes = new ulong[cursors.Length];
        _rings = rings;
        _cursors = cursors;
        _onRecord = onRecord;
        _timestampOffset = timestampOffset;
        _now = now;
        _producers = new ulong[cursors.Length];
        _stops = new ulong[cursors.Length];
        _firstRun = new int[cursors.Length];
        _endRun = new int[cursors.Length];
        _nextRun = new int[cursors.Length];
        _runs = new RingRun[4 * cursors.Length];
        _heads = new ulong[cursors.Length];
        _bodies = new nint[cursors.Length];
        _sizes = new int[cursors.Length];
        _heap = new int[cursors.Length];
        _roundProducers = new ulong[cursors.Length * Rounds];
        _floors = new ulong[cursors.Length];   // 0: nothing is known of what the rings hold already
    }

    private static RingBufferCursor[] Cursors(RingBufferReader[] rings)
    {
        var cursors = new RingBufferCursor[rings.Length];
        for (int i = 0; i < rings.Length; i++)
            cursors[i] = rings[i].Cursor;
        return cursors;
    }

    private static RingBufferReader[] Open(IReadOnlyList<BpfMap> rings, bool mapDataTwice)
    {
        ArgumentNullException.ThrowIfNull(rings);
        var readers = new List<RingBufferReader>(rings.Count);
        try
        {
            foreach (BpfMap ring in rings)
                readers.Add(new RingBufferReader(ring, NotDrainedAlone, mapDataTwice));
        }
        catch
        {
            foreach (RingBufferReader reader in readers) reader.Dispose();
            throw;
        }
        return [.. readers];
    }

    private static void NotDrainedAlone(ReadOnlySpan<byte> record) =>
        throw new InvalidOperationException("a merged ring buffer was drained on its own");

    internal override int RingCount => _rings.Length;

    internal override FileDescriptor RingFd(int ring) => _rings[ring].RingFd(0);

    /// <summary>Whichever ring woke the poller, every ring is read: a round merges them all.</summary>
    internal override int Drain(int ring) => Merge();

    internal override bool DrainsEveryRing => true;

    /// <summary>Records held back by the last round (placed after its clock reading) count too.</summary>
    internal override bool HoldsRecords
    {
        get
        {
            foreach (RingBufferCursor cursor in _cursors)
            {
                if (cursor.Pending != 0)
                    return true;
            }
            return false;
        }
    }

    /// <summary>One round over every ring (see the remarks); returns the records handed on.</summary>
    public override int DrainAll() => Merge();

    private int Merge()
    {
        ulong now = _now();
        int count = _cursors.Length;
        for (int i = 0; i < count; i++)
            _producers[i] = _cursors[i].ReadProducer();

        ulong limit = now;
        int runs = 0;
        int delivered = 0;
        try
        {
            for (int i = 0; i < count; i++)
                limit = Math.Min(limit, Walk(i, now, ref runs));

            int heapSize = 0;
            for (int i = 0; i < count; i++)
            {
                if (Peek(i))
                    heapSize = Push(heapSize, i);
            }
            while (heapSize > 0)
            {
                int ring = _heap[0];
                if (_heads[ring] >= limit)
                    break;
                // A run: the earliest ring's records up to the next ring's head, with no heap work between them.
                ulong next = heapSize == 1 ? ulong.MaxValue
                    : heapSize == 2 ? _heads[_heap[1]] : Math.Min(_heads[_heap[1]], _heads[_heap[2]]);
                ulong runEnd = Math.Min(limit, next == ulong.MaxValue ? next : next + 1);
                RingBufferCursor cursor = _cursors[ring];
                bool ready;
                do
                {
                    _onRecord(new ReadOnlySpan<byte>((byte*)_bodies[ring], _sizes[ring]));
                    delivered++;
                    cursor.Consume();
                    ready = Peek(ring);
                }
                while (ready && _heads[ring] < runEnd);
                if (ready)
                    SiftDown(heapSize, 0);
                else
                    heapSize = PopTop(heapSize);
            }
        }
        finally
        {
            _newestRound = (_newestRound + 1) % Rounds;
            _roundCount = Math.Min(_roundCount + 1, Rounds);
            _roundNow[_newestRound] = now;
            for (int i = 0; i < count; i++)
            {
                _cursors[i].Publish();
                _roundProducers[i * Rounds + _newestRound] = _producers[i];
                _floors[i] = ReservedAfter(i, _cursors[i].Consumed);
            }
        }
        return delivered;
    }

    /// <summary>
    /// Walks ring <paramref name="ring"/> from its consumer position to this round's producer position or to a record
    /// still being written, noting where its times fall back (the runs); returns the earliest time the rest of the ring,
    /// past the walk, can bring.
    /// </summary>
    private ulong Walk(int ring, ulong now, ref int runs)
    {
        RingBufferCursor cursor = _cursors[ring];
        ulong producer = _producers[ring], position = cursor.Consumed, previous = 0;
        bool walked = false;
        _firstRun[ring] = runs;
        RingHead state;
        while ((state = cursor.TimeAt(ref position, producer, _timestampOffset, out ulong time, out ulong next)) == RingHead.Ready)
        {
            if (time < previous)
            {
                if (runs == _runs.Length)
                    Array.Resize(ref _runs, 2 * runs);
                _runs[runs++] = new RingRun(position, time);
            }
            previous = time;
            walked = true;
            position = next;
        }
        _endRun[ring] = runs;
        _stops[ring] = position;
        if (walked)
            _lastTimes[ring] = previous;   // the committed record just before the stop
        // Each run's earliest time is its first; from the last run back, the earliest of it and every run after it.
        ulong earliest = ulong.MaxValue;
        for (int run = runs - 1; run >= _firstRun[ring]; run--)
            earliest = _runs[run].Earliest = Math.Min(earliest, _runs[run].Earliest);
        _nextRun[ring] = _firstRun[ring];
        if (state == RingHead.Empty)
            return now;
        ulong bound = ReservedAfter(ring, position);
        return ring < _perCpuRings ? Math.Max(bound, _lastTimes[ring]) : bound;
    }

    /// <summary>The latest clock reading known to precede the reservation of ring <paramref name="ring"/>'s records
    /// from <paramref name="position"/> on: that of the newest round that read its producer position at or before it.</summary>
    private ulong ReservedAfter(int ring, ulong position)
    {
        for (int k = 0, slot = _newestRound; k < _roundCount; k++, slot = slot == 0 ? Rounds - 1 : slot - 1)
        {
            if (_roundProducers[ring * Rounds + slot] <= position)
                return _roundNow[slot];
        }
        return _floors[ring];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong TimeOf(byte* body, int size) =>
        size >= _timestampOffset + sizeof(ulong) ? *(ulong*)(body + _timestampOffset) : 0;

    /// <summary>
    /// Reads ring <paramref name="ring"/>'s next record within its walk into the arrays, with the time that places it;
    /// true when there is one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Peek(int ring)
    {
        RingBufferCursor cursor = _cursors[ring];
        if (cursor.Peek(_stops[ring], out byte* body, out int size) != RingHead.Ready)
            return false;
        _bodies[ring] = (nint)body;
        _sizes[ring] = size;
        ulong time = TimeOf(body, size);
        int run = _nextRun[ring], end = _endRun[ring];
        if (run < end)
        {
            if (_runs[run].Start == cursor.Consumed)
                _nextRun[ring] = ++run;
            if (run < end)
                time = Math.Min(time, _runs[run].Earliest);
        }
        _heads[ring] = time;
        return true;
    }

    private int Push(int heapSize, int ring)
    {
        int at = heapSize;
        while (at > 0)
        {
            int parent = (at - 1) / 2;
            if (_heads[_heap[parent]] <= _heads[ring])
                break;
            _heap[at] = _heap[parent];
            at = parent;
        }
        _heap[at] = ring;
        return heapSize + 1;
    }

    private int PopTop(int heapSize)
    {
        heapSize--;
        if (heapSize > 0)
        {
            _heap[0] = _heap[heapSize];
            SiftDown(heapSize, 0);
        }
        return heapSize;
    }

    private void SiftDown(int heapSize, int at)
    {
        int ring = _heap[at];
        ulong time = _heads[ring];
        while (true)
        {
            int child = 2 * at + 1;
            if (child >= heapSize)
                break;
            if (child + 1 < heapSize && _heads[_heap[child + 1]] < _heads[_heap[child]])
                child++;
            if (_heads[_heap[child]] >= time)
                break;
            _heap[at] = _heap[child];
            at = child;
        }
        _heap[at] = ring;
    }

    /// <summary>Unmaps every ring and releases their map fds.</summary>
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
            return;
        foreach (RingBufferReader ring in _rings) ring.Dispose();
        _array?.Dispose();
    }
}
