using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using BpfLoader.Object;

namespace BpfLoader.Rings;

/// <summary>
/// The consumer side of one BPF ring buffer (BPF_MAP_TYPE_RINGBUF), over plain memory: the consumer
/// position, the producer position and the data area. The kernel offers the data mapped twice in a row,
/// so that a record that wraps stays contiguous and is read in place; but every page it maps counts in
/// the reader's RSS at once, so a reader may map it once instead, and then the rare record that wraps is
/// copied. The kernel's mmap and a test's synthetic ring are read by this same code.
/// </summary>
internal sealed unsafe class RingBufferCursor
{
    // Record header: u32 len (with the two flag bits), u32 pg_off; data follows, 8-byte aligned.
    internal const int HeaderSize = 8;
    internal const uint BusyBit = 1u << 31, DiscardBit = 1u << 30;

    private readonly ulong* _consumer;   // the page, written for the kernel; never read back (any fd holder may write it)
    private readonly ulong* _producer;
    private ulong _consumed;             // the consumer position: the reader's own
    private readonly byte* _data;
    private readonly ulong _mask;
    private readonly bool _doubleMapped;
    private byte[] _wrapped = [];   // a record that wraps, made contiguous; grows to the largest seen; pinned
    private ulong _headTotal;            // Peek's record, header and padding included
    private ulong _published;            // the consumer position last written for the kernel (Peek and Consume)

    /// <summary>
    /// Publish the consumer position after every record rather than once per batch: the producer
    /// sees free space sooner (libbpf's way).
    /// </summary>
    public bool ReleaseEachRecord
    {
        get => ReleaseEveryBytes == 1;
        init => ReleaseEveryBytes = value ? 1UL : 0UL;
    }

    /// <summary>
    /// Publish the consumer position within a batch each time this many bytes were consumed since it was last
    /// published (0: once per batch). Every reservation of a producer reads that position: published per
    /// record, its cache line moves between the reader's CPU and each producer's once per record while both
    /// run; every few KiB, the producer still sees the space freed all along a long batch (a slow sink).
    /// </summary>
    public ulong ReleaseEveryBytes { get; init; }

    /// <summary>Reads the ring whose data area of <paramref name="dataSize"/> bytes starts at <paramref name="data"/>;
    /// <paramref name="doubleMapped"/>: a second mapping of the data area follows it.</summary>
    public RingBufferCursor(ulong* consumerPosition, ulong* producerPosition, byte* data, ulong dataSize, bool doubleMapped)
    {
        if (dataSize < HeaderSize || (dataSize & (dataSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(dataSize), dataSize, "the ring buffer's data area is a power of two bytes");
        _consumer = consumerPosition;
        _producer = producerPosition;
        _data = data;
        _mask = dataSize - 1;
        _doubleMapped = doubleMapped;
        _consumed = Volatile.Read(ref *consumerPosition);   // the kernel's start, once
        _published = _consumed;
    }

    /// <summary>Sets the consumer position (benchmarks and tests that read the same records again).</summary>
    internal void Rewind(ulong position)
    {
        _consumed = position;
        _published = position;
        Volatile.Write(ref *_consumer, position);
    }

    /// <summary>Bytes reserved by producers and not yet consumed (committed or not).</summary>
    public ulong Pending => Volatile.Read(ref *_producer) - _consumed;

    /// <summary>
    /// Hands every committed record present now to the handler and frees their space; returns the
    /// number delivered. Stops at a record still being written (busy): epoll wakes us again once the
    /// producer commits it. A producer position or a record length that cannot be right (more than the
    /// ring holds) is a <see cref="BpfException"/>, thrown before anything outside the data area is read;
    /// the reader then stays at that record.
    /// </summary>
    public int Drain(RecordHandler onRecord)
    {
        ulong producer = ReadProducer();
        int delivered = 0;
        try
        {
            while (Peek(producer, out byte* body, out int size) == RingHead.Ready)
            {
                onRecord(new ReadOnlySpan<byte>(body, size));
                delivered++;
                Consume();
            }
        }
        finally
        {
            // Release: the producer may reuse the space only after we are done reading it. Also puts
            // back our position over whatever someone else wrote there.
            Publish();
        }
        return delivered;
    }

    /// <summary>The producer position now (acquire): the end of what a merge reads in one round.</summary>
    internal ulong ReadProducer() => Volatile.Read(ref *_producer);

    /// <summary>The consumer position: where the next record starts.</summary>
    internal ulong Consumed => _consumed;

    /// <summary>
    /// The record at the consumer position, among those reserved before <paramref name="producer"/> (a value of
    /// <see cref="ReadProducer"/>): <see cref="RingHead.Ready"/> with its body, <see cref="RingHead.Busy"/> while its
    /// producer still writes it, or <see cref="RingHead.Empty"/>. Discarded records on the way are consumed. The body is
    /// valid until the next call on this cursor; <see cref="Consume"/> moves past it. Corruption throws as in <see cref="Drain"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal RingHead Peek(ulong producer, out byte* body, out int size)
    {
        body = null;
        size = 0;
        while (true)
        {
            ulong consumer = _consumed;
            RingHead head = Header(consumer, producer, out uint length, out bool discarded, out ulong total);
            if (head != RingHead.Ready)
                return head;
            _headTotal = total;
            if (discarded)
            {
                Consume();
                continue;
            }
            ulong ringSize = _mask + 1;
            ulong offset = consumer & _mask;
            ulong start = _doubleMapped ? offset + HeaderSize : (offset + HeaderSize) & _mask;
            ulong room = _doubleMapped ? 2 * ringSize - start : ringSize - start;
            size = (int)length;
            if (length <= room)
            {
                body = _data + start;
            }
            else
            {
                Unwrap((int)room, size);
                body = (byte*)Unsafe.AsPointer(ref _wrapped[0]);   // pinned: see Unwrap
            }
            return RingHead.Ready;
        }
    }

    /// <summary>
    /// The record at <paramref name="position"/> (at or after the consumer position), as <see cref="Peek"/> finds it but
    /// consuming nothing: discarded records move <paramref name="position"/> on; for a ready record, the u64 at
    /// <paramref name="offset"/> in its body (its <paramref name="time"/>; 0 when the record is shorter), read in place
    /// even when the record wraps, and where the record after it starts (<paramref name="next"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal RingHead TimeAt(ref ulong position, ulong producer, int offset, out ulong time, out ulong next)
    {
        time = 0;
        while (true)
        {
            RingHead head = Header(position, producer, out uint length, out bool discarded, out ulong total);
            next = position + total;
            if (head != RingHead.Ready)
                return head;
            if (discarded)
            {
                position = next;
                continue;
            }
            if ((ulong)offset + sizeof(ulong) <= length)
            {
                ulong at = position + HeaderSize + (ulong)offset;
                time = (at & 7) == 0 || _doubleMapped   // an aligned u64 never runs past the end of the area
                    ? Unsafe.ReadUnaligned<ulong>(_data + (at & _mask))
                    : ReadWrapped(at);
            }
            return RingHead.Ready;
        }
    }

    /// <summary>
    /// The header of the record at <paramref name="position"/>, within <paramref name="producer"/>: whether it is there and
    /// committed (<see cref="RingHead.Ready"/>, discarded or not), its length and its whole size. Every check of the
    /// positions and lengths the kernel and other fd holders write is here, before anything past a header is read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private RingHead Header(ulong position, ulong producer, out uint length, out bool discarded, out ulong total)
    {
        length = 0;
        discarded = false;
        total = 0;
        ulong ringSize = _mask + 1;
        if (producer - _consumed > ringSize || (position & 7) != 0)
            ThrowCorruptPositions(producer, _consumed, ringSize);
        if (position == producer)
            return RingHead.Empty;
        uint len = Volatile.Read(ref *(uint*)(_data + (position & _mask)));
        if ((len & BusyBit) != 0)
            return RingHead.Busy;
        length = len & ~(BusyBit | DiscardBit);
        total = (length + HeaderSize + 7UL) & ~7UL;
        if (total > producer - position)
            ThrowCorruptRecord(length, position, producer - position);
        discarded = (len & DiscardBit) != 0;
        return RingHead.Ready;
    }

    // Out of the hot path, message and all (an interpolated string built at the call site would be inlined into every
    // caller of Header): what the ring holds cannot be right.
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowCorruptPositions(ulong producer, ulong consumer, ulong ringSize) =>
        throw new BpfException($"ring buffer is corrupt: producer position {producer}, consumer position {consumer} (a {ringSize}-byte ring, 8-byte records)");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowCorruptRecord(uint length, ulong position, ulong reserved) =>
        throw new BpfException($"ring buffer is corrupt: record of {length} bytes at position {position}, {reserved} bytes reserved");

    /// <summary>A u64 at ring position <paramref name="at"/> that may run past the end of a data area mapped once.</summary>
    private ulong ReadWrapped(ulong at)
    {
        ulong value = 0;
        for (int i = 0; i < sizeof(ulong); i++)
            value |= (ulong)_data[(at + (ulong)i) & _mask] << (8 * i);
        return value;
    }

    /// <summary>Moves past the record the last <see cref="Peek(ulong, out byte*, out int)"/> returned, giving its space back as <see cref="ReleaseEveryBytes"/> says.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Consume()
    {
        _consumed += _headTotal;
        _headTotal = 0;
        if (ReleaseEveryBytes != 0 && _consumed - _published >= ReleaseEveryBytes)
            Publish();
    }

    /// <summary>Gives the space of every consumed record back to the producers (release).</summary>
    internal void Publish()
    {
        _published = _consumed;
        Volatile.Write(ref *_consumer, _consumed);
    }

    /// <summary>Copies a record's body that runs past the end of the data area into <see cref="_wrapped"/>: its tail, then its head from the start.</summary>
    private void Unwrap(int tailLength, int size)
    {
        if (_wrapped.Length < size)
            _wrapped = GC.AllocateArray<byte>(Math.Max(size, 256), pinned: true);   // Peek hands out a pointer into it
        Span<byte> record = _wrapped.AsSpan(0, size);
        new ReadOnlySpan<byte>(_data + (_mask + 1 - (ulong)tailLength), tailLength).CopyTo(record);
        new ReadOnlySpan<byte>(_data, size - tailLength).CopyTo(record[tailLength..]);
    }
}
