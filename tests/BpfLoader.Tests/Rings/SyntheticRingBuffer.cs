using System.Runtime.InteropServices;
using BpfLoader.Rings;

namespace BpfLoader.Tests.Rings;

/// <summary>
/// A BPF ring buffer in ordinary memory: consumer and producer positions, and the data area followed by
/// as many bytes again: a mirror of it, as the kernel's second mapping shows it (<c>doubleMapped</c>),
/// or garbage, so that a reader of a ring mapped once that read past the end would show it.
/// The test is the producer (reserve, then commit or discard).
/// </summary>
internal sealed unsafe class SyntheticRingBuffer : IDisposable
{
    private readonly ulong* _consumer;
    private readonly ulong* _producer;
    private readonly byte* _data;
    private readonly bool _doubleMapped;

    public ulong Size { get; }
    public RingBufferCursor Cursor { get; }

    public SyntheticRingBuffer(ulong size, ulong startPosition = 0, bool releaseEachRecord = false, bool doubleMapped = false, ulong releaseEveryBytes = 0)
    {
        Size = size;
        _doubleMapped = doubleMapped;
        _consumer = (ulong*)NativeMemory.AlignedAlloc(64, 64);
        _producer = (ulong*)NativeMemory.AlignedAlloc(64, 64);
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)(2 * size), 64);
        NativeMemory.Fill(_data, (nuint)(2 * size), 0xcd);
        *_consumer = startPosition;
        *_producer = startPosition;
        Cursor = new RingBufferCursor(_consumer, _producer, _data, size, doubleMapped)
        {
            ReleaseEveryBytes = releaseEachRecord ? 1 : releaseEveryBytes,
        };
    }

    public ulong Consumer => Volatile.Read(ref *_consumer);
    public ulong Producer => *_producer;
    public ulong Free => Size - (Producer - Consumer);

    /// <summary>Moves the consumer back to <paramref name="consumer"/>, so the same records are read again (benchmarks, allocation tests).</summary>
    public void Rewind(ulong consumer) => Cursor.Rewind(consumer);

    /// <summary>Writes the consumer page as any holder of the map fd can: the reader must not trust it.</summary>
    public void CorruptConsumer(ulong consumer) => Volatile.Write(ref *_consumer, consumer);

    /// <summary>Moves the producer position where no producer put it (the kernel's page; only a broken kernel would).</summary>
    public void CorruptProducer(ulong producer) => Volatile.Write(ref *_producer, producer);

    public static ulong RecordSize(int payload) => (ulong)(RingBufferCursor.HeaderSize + payload + 7) & ~7UL;

    /// <summary>Reserves a record (busy), fills it with <paramref name="payload"/>; returns its position for Commit.</summary>
    public ulong Reserve(ReadOnlySpan<byte> payload)
    {
        ulong total = RecordSize(payload.Length);
        if (total > Free)
            throw new InvalidOperationException("synthetic ring buffer full");
        ulong position = Producer;
        WriteU32(position, (uint)payload.Length | RingBufferCursor.BusyBit);
        WriteU32(position + 4, 0);   // pg_off: the kernel's, unused by readers
        WriteWrapped(position + RingBufferCursor.HeaderSize, payload);
        Volatile.Write(ref *_producer, position + total);
        return position;
    }

    public void Commit(ulong position, bool discard = false)
    {
        uint len = ReadU32(position) & ~RingBufferCursor.BusyBit;
        if (discard)
            len |= RingBufferCursor.DiscardBit;
        WriteU32(position, len, release: true);
    }

    /// <summary>Replaces a record's len word, committing it with a length the producer never reserved.</summary>
    public void OverwriteLength(ulong position, uint len) => WriteU32(position, len, release: true);

    public void Write(ReadOnlySpan<byte> payload) => Commit(Reserve(payload));

    public bool TryWrite(ReadOnlySpan<byte> payload)
    {
        if (RecordSize(payload.Length) > Free)
            return false;
        Write(payload);
        return true;
    }

    private void WriteWrapped(ulong position, ReadOnlySpan<byte> bytes)
    {
        // As the kernel's pages hold it: what does not fit before the end continues at the start.
        int size = (int)Size;
        int offset = (int)(position & (Size - 1));
        var data = new Span<byte>(_data, size);
        int inTail = Math.Min(bytes.Length, size - offset);
        bytes[..inTail].CopyTo(data[offset..]);
        bytes[inTail..].CopyTo(data);
        if (_doubleMapped)
            data.CopyTo(new Span<byte>(_data + size, size));   // the second mapping: the same pages
    }

    private void WriteU32(ulong position, uint value, bool release = false)
    {
        // Headers are 8-byte aligned and never wrap; the mirror first, the first copy published last.
        ulong offset = position & (Size - 1);
        if (_doubleMapped)
            *(uint*)(_data + offset + Size) = value;
        if (release)
            Volatile.Write(ref *(uint*)(_data + offset), value);
        else
            *(uint*)(_data + offset) = value;
    }

    private uint ReadU32(ulong position) => *(uint*)(_data + (position & (Size - 1)));

    public void Dispose()
    {
        NativeMemory.AlignedFree(_consumer);
        NativeMemory.AlignedFree(_producer);
        NativeMemory.AlignedFree(_data);
    }
}
