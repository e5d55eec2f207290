using System.Runtime.CompilerServices;
using BpfLoader.Interop;
using BpfLoader.Kernel;
using BpfLoader.Maps;

namespace BpfLoader.Rings;

/// <summary>
/// The reader of several BPF ring buffers (typically one per CPU, so that no two CPUs' programs contend for one),
/// which hands their records on in the order of the time each carries: a u64 from <c>bpf_ktime_get_ns()</c> at a
/// fixed offset, read by the program after its <c>bpf_ringbuf_reserve</c>. Records of one ring come in its order;
/// across rings, a record is handed on only once no ring can still bring an earlier one, so that changes to one
/// object made on different CPUs, one after the other, arrive in the order they were made.
/// </summary>
/// <remarks>
/// Each round reads the clock (<see cref="BpfClock"/>), then every ring's producer position. A record reserved after
/// that read carries a later time, so records stamped before the clock reading are all within the positions read:
/// those are merged and handed on, and the rest wait for the next round. A ring whose next record is still being
/// written holds back every record later than its lower bound: the time of the ring's record before it, or the
/// round in which the ring was last seen empty. A record shorter than its time stamp counts as time 0.
/// </remarks>
public sealed unsafe class MergedRingBufferReader : RingReader
{
    private readonly RingBufferReader[] _rings;
    private readonly RingBufferCursor[] _cursors;
    private readonly RecordHandler _onRecord;
    private readonly int _timestampOffset;
    private readonly Func<ulong> _now;

    // Per ring, reused every round: what the round may read, the time of its next record, the lower bound of
    // the times it can still bring, and whether its next record is ready; plus a min-heap of ring indices by time.
    private readonly ulong[] _producers;
    private readonly ulong[] _heads;
    private readonly ulong[] _floors;
    private readonly RingHead[] _states;
    private readonly nint[] _bodies;   // the next record of each ready ring, and its length
    private readonly int[] _sizes;
    private readonly int[] _heap;

    /// <summary>
    /// Maps each ring buffer of <paramref name="rings"/> (see <see cref="RingBufferReader"/> for
    /// <paramref name="mapDataTwice"/>) and hands their records to <paramref name="onRecord"/> in the order of the
    /// u64 time stamp at <paramref name="timestampOffset"/> in each record. The reader holds the maps' fds open
    /// until it is disposed; the maps stay the caller's.
    /// </summary>
    public MergedRingBufferReader(IReadOnlyList<BpfMap> rings, int timestampOffset, RecordHandler onRecord, bool mapDataTwice = true)
        : this(rings, timestampOffset, onRecord, mapDataTwice, BpfClock.NowNs) { }

    /// <summary>As the public constructor, with the clock given (tests).</summary>
    internal MergedRingBufferReader(IReadOnlyList<BpfMap> rings, int timestampOffset, RecordHandler onRecord, bool mapDataTwice, Func<ulong> now)
        : this(Open(rings, mapDataTwice), timestampOffset, onRecord, now) { }

    /// <summary>Over cursors alone (synthetic rings in tests): nothing to map, poll or dispose.</summary>
    internal MergedRingBufferReader(RingBufferCursor[] cursors, int timestampOffset, RecordHandler onRecord, Func<ulong> now)
        : this([], cursors, timestampOffset, onRecord, now) { }

    private MergedRingBufferReader(RingBufferReader[] rings, int timestampOffset, RecordHandler onRecord, Func<ulong> now)
        : this(rings, Cursors(rings), timestampOffset, onRecord, now) { }

    private MergedRingBufferReader(RingBufferReader[] rings, RingBufferCursor[] cursors, int timestampOffset, RecordHandler onRecord, Func<ulong> now)
    {
        ArgumentNullException.ThrowIfNull(onRecord);
        ArgumentOutOfRangeException.ThrowIfNegative(timestampOffset);
        if (cursors.Length == 0)
            throw new ArgumentException("a merge needs at least one ring buffer", nameof(rings));
        _rings = rings;
        _cursors = cursors;
        _onRecord = onRecord;
        _timestampOffset = timestampOffset;
        _now = now;
        _producers = new ulong[cursors.Length];
        _heads = new ulong[cursors.Length];
        _floors = new ulong[cursors.Length];
        _states = new RingHead[cursors.Length];
        _bodies = new nint[cursors.Length];
        _sizes = new int[cursors.Length];
        _heap = new int[cursors.Length];
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

    /// <summary>One round over every ring (see the remarks); returns the records handed on.</summary>
    public override int DrainAll() => Merge();

    private int Merge()
    {
        ulong now = _now();
        int count = _cursors.Length;
        for (int i = 0; i < count; i++)
            _producers[i] = _cursors[i].ReadProducer();

        ulong limit = now;
        int heapSize = 0;
        for (int i = 0; i < count; i++)
        {
            if (Peek(i))
                heapSize = Push(heapSize, i);
            else if (_states[i] == RingHead.Busy)
                limit = Math.Min(limit, _floors[i]);
        }

        int delivered = 0;
        try
        {
            while (heapSize > 0)
            {
                int ring = _heap[0];
                ulong time = _heads[ring];
                if (time >= limit)
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
                    time = _heads[ring];
                    cursor.Consume();
                    ready = Peek(ring);
                }
                while (ready && _heads[ring] < runEnd);
                if (ready)
                {
                    SiftDown(heapSize, 0);
                    continue;
                }
                if (_states[ring] == RingHead.Busy)
                {
                    // Written after the record just handed on, on the same CPU: not earlier than it.
                    _floors[ring] = time;
                    limit = Math.Min(limit, time);
                }
                heapSize = PopTop(heapSize);
            }
        }
        finally
        {
            for (int i = 0; i < count; i++)
            {
                RingBufferCursor cursor = _cursors[i];
                cursor.Publish();
                if (cursor.Consumed == _producers[i])
                    _floors[i] = now;   // what it brings next was reserved after this round read the clock
                else if (_states[i] == RingHead.Ready)
                    _floors[i] = _heads[i];
            }
        }
        return delivered;
    }

    /// <summary>Reads ring <paramref name="ring"/>'s next record into the arrays; true when one is ready.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Peek(int ring)
    {
        RingHead state = _cursors[ring].Peek(_producers[ring], out byte* body, out int size);
        _states[ring] = state;
        if (state != RingHead.Ready)
            return false;
        _bodies[ring] = (nint)body;
        _sizes[ring] = size;
        _heads[ring] = size >= _timestampOffset + sizeof(ulong) ? *(ulong*)(body + _timestampOffset) : 0;
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
    }
}
