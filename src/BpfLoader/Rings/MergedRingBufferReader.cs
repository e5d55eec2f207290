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

    // A pass's ready records, at most RecordsPerPass of each ring, in one array reused every pass: ring i's are
    // _records[_first[i] + 1 .. _walked[i]), preceded by a slot whose Next is where the first starts (or the walk's
    // stop); _order, the indices of those the pass hands on, in the order they go out. Fixed: a round that finds more
    // (a reader that fell behind) takes more passes, rather than keeping memory the size of its largest round.
    internal const int RecordsPerPass = 512;
    private readonly int _recordsPerPass;   // RecordsPerPass; tests make it small
    private readonly RingRecord[] _records;
    private readonly int[] _order;
    private readonly RingRecord[] _rest = new RingRecord[64];   // the rest of a ring past its share, walked for times only
    private readonly ulong[] _producers;   // the producer position this round reads to, per ring
    private readonly int[] _first;
    private readonly int[] _walked;
    private readonly ulong[] _restEarliest;   // per ring, the earliest time past its share of the pass (MaxValue: none)
    private readonly Head[] _heap;   // while ordering: a min-heap of the rings with records left, by their head's placement

    /// <summary>A ring's records left to order: its head's placement, its index and the end of what the round hands on.</summary>
    private struct Head
    {
        public ulong Time;
        public int Next;
        public int End;
    }

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
    internal MergedRingBufferReader(RingBufferCursor[] cursors, int perCpuRings, int timestampOffset, RecordHandler onRecord, Func<ulong> now, int recordsPerPass = RecordsPerPass)
        : this([], cursors, perCpuRings, timestampOffset, onRecord, now, recordsPerPass) { }

    private MergedRingBufferReader(RingBufferReader[] rings, int perCpuRings, int timestampOffset, RecordHandler onRecord, Func<ulong> now)
        : this(rings, Cursors(rings), perCpuRings, timestampOffset, onRecord, now) { }

    private MergedRingBufferReader(RingBufferReader[] rings, RingBufferCursor[] cursors, int perCpuRings, int timestampOffset, RecordHandler onRecord, Func<ulong> now, int recordsPerPass = RecordsPerPass)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(recordsPerPass, 1);
        _recordsPerPass = recordsPerPass;
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
        _records = new RingRecord[(recordsPerPass + 1) * cursors.Length];
        _order = new int[_records.Length];
        _restEarliest = new ulong[cursors.Length];
        _producers = new ulong[cursors.Length];
        _first = new int[cursors.Length];
        _walked = new int[cursors.Length];
        _heap = new Head[cursors.Length];
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

        int delivered = 0;
        try
        {
            int handed;
            bool more;
            do
            {
                handed = Pass(now, out more);
                delivered += handed;
            }
            while (more && handed > 0);
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
    /// One pass of a round: walks every ring (at most <see cref="RecordsPerPass"/> records of each), then hands on, merged,
    /// what is placed before the pass's limit; <paramref name="more"/>: a ring had more than its share.
    /// </summary>
    private int Pass(ulong now, out bool more)
    {
        int count = _cursors.Length, records = 0, delivered = 0;
        ulong limit = now;
        more = false;
        for (int i = 0; i < count; i++)
        {
            limit = Math.Min(limit, Walk(i, now, ref records));
            more |= _restEarliest[i] != ulong.MaxValue;
        }
        RingRecord[] walked = _records;

        int heapSize = 0;
        for (int i = 0; i < count; i++)
        {
            // Placements, from the last record back (past the ring's share, the earliest of the rest); they never
            // decrease along a ring, so what the pass hands on is a prefix of its records.
            int first = _first[i], end = _walked[i];
            ulong earliest = _restEarliest[i];
            for (int k = end - 1; k > first; k--)
            {
                ref RingRecord record = ref walked[k];
                earliest = record.Time = Math.Min(earliest, record.Time);
                record.Ring = i;
                if (earliest >= limit)
                    end = k;
            }
            _cursors[i].ConsumeTo(walked[first].Next);   // past discarded records before the first
            if (first + 1 < end)
                heapSize = Push(heapSize, new Head { Time = walked[first + 1].Time, Next = first + 1, End = end });
        }

        // Ordered first, with no call in the loop, then handed on.
        int[] order = _order;
        int ordered = Order(walked, order, heapSize);
        RecordHandler onRecord = _onRecord;
        RingBufferCursor[] cursors = _cursors;
        for (int j = 0; j < ordered; j++)
        {
            ref RingRecord record = ref walked[order[j]];
            RingBufferCursor cursor = cursors[record.Ring];
            byte* body = record.Body != null ? record.Body : cursor.Unwrapped(record.Size);
            onRecord(new ReadOnlySpan<byte>(body, record.Size));
            delivered++;
            cursor.ConsumeTo(record.Next);
        }
        return delivered;
    }

    /// <summary>
    /// Merges the records the round hands on of the <paramref name="heapSize"/> rings in the heap into
    /// <paramref name="order"/>, by placement; returns how many.
    /// </summary>
    private int Order(RingRecord[] records, int[] order, int heapSize)
    {
        Head[] heap = _heap;
        int ordered = 0;
        while (heapSize > 2)
        {
            // A run: the earliest ring's records up to the next ring's head, with no heap work between them.
            ulong next = Math.Min(heap[1].Time, heap[2].Time);
            ref Head top = ref heap[0];
            int k = top.Next, end = top.End;
            do
                order[ordered++] = k;
            while (++k < end && records[k].Time <= next);
            if (k < end)
            {
                top.Next = k;
                top.Time = records[k].Time;
            }
            else
            {
                heap[0] = heap[--heapSize];
            }
            SiftDown(heapSize);
        }
        if (heapSize == 2)
        {
            // Two rings (often all there are), as the heap would take them, their heads in locals: a's run, then b's.
            int a = heap[0].Next, aEnd = heap[0].End, b = heap[1].Next, bEnd = heap[1].End;
            ulong bTime = heap[1].Time;
            while (true)
            {
                ulong aTime = 0;
                do
                    order[ordered++] = a;
                while (++a < aEnd && (aTime = records[a].Time) <= bTime);
                if (a == aEnd)
                    break;
                (a, b) = (b, a);
                (aEnd, bEnd) = (bEnd, aEnd);
                bTime = aTime;
            }
            heap[0] = new Head { Next = b, End = bEnd };
            heapSize = 1;
        }
        if (heapSize == 1)
        {
            for (int k = heap[0].Next; k < heap[0].End; k++)
                order[ordered++] = k;
        }
        return ordered;
    }

    /// <summary>
    /// Walks ring <paramref name="ring"/> from its consumer position to this round's producer position or to a record
    /// still being written, noting its ready records from <paramref name="records"/> on (see <see cref="_records"/>), up
    /// to its share of the pass, and the earliest time of those past it; returns the bound of the times the rest of the
    /// ring, past what it noted, can bring.
    /// </summary>
    private ulong Walk(int ring, ulong now, ref int records)
    {
        RingBufferCursor cursor = _cursors[ring];
        ulong position = cursor.Consumed, producer = _producers[ring];
        int first = records;   // the slot before the ring's first record
        RingHead state = cursor.Walk(ref position, producer, _timestampOffset, _records.AsSpan(first, _recordsPerPass + 1), out int noted);
        int last = first + noted;   // its last record
        bool walked = noted > 0;
        ulong lastTime = walked ? _records[last].Time : 0, rest = ulong.MaxValue;
        while (state == RingHead.Ready)
        {
            // Past the ring's share: only the times, which place the records before them (see the remarks). The rest is
            // another pass's, the earliest of it included.
            state = cursor.Walk(ref position, producer, _timestampOffset, _rest, out noted);
            for (int k = 1; k <= noted; k++)
                rest = Math.Min(rest, _rest[k].Time);
            if (noted > 0)
                lastTime = _rest[noted].Time;
        }
        _first[ring] = first;
        _walked[ring] = records = last + 1;
        _restEarliest[ring] = rest;
        if (walked)
            _lastTimes[ring] = lastTime;   // the committed record just before the stop
        // A record of the rest is placed at its earliest time or later: the pass hands on what is placed at it or before.
        ulong restBound = rest == ulong.MaxValue ? rest : rest + 1;
        if (state == RingHead.Empty)
            return Math.Min(now, restBound);
        ulong bound = ReservedAfter(ring, position);
        return Math.Min(restBound, ring < _perCpuRings ? Math.Max(bound, _lastTimes[ring]) : bound);
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

    private int Push(int heapSize, Head head)
    {
        int at = heapSize;
        while (at > 0)
        {
            int parent = (at - 1) / 2;
            if (_heap[parent].Time <= head.Time)
                break;
            _heap[at] = _heap[parent];
            at = parent;
        }
        _heap[at] = head;
        return heapSize + 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SiftDown(int heapSize)
    {
        Head[] heap = _heap;
        if (heapSize <= 1)
            return;
        Head head = heap[0];
        int at = 0;
        while (true)
        {
            int child = 2 * at + 1;
            if (child >= heapSize)
                break;
            if (child + 1 < heapSize && heap[child + 1].Time < heap[child].Time)
                child++;
            if (heap[child].Time >= head.Time)
                break;
            heap[at] = heap[child];
            at = child;
        }
        heap[at] = head;
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
