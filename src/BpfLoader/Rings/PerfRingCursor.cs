using System.Buffers.Binary;
using BpfLoader.Object;

namespace BpfLoader.Rings;

/// <summary>
/// The consumer side of one perf event ring, over plain memory: the control page
/// (struct perf_event_mmap_page) and a power-of-two data area. The kernel's mmap and a test's
/// synthetic ring in ordinary memory are read by this same code.
/// </summary>
internal sealed unsafe class PerfRingCursor
{
    // struct perf_event_mmap_page (stable since Linux 4.1).
    internal const int DataHeadOffset = 1024, DataTailOffset = 1032, DataOffsetOffset = 1040, DataSizeOffset = 1048;

    // struct perf_event_header: u32 type, u16 misc, u16 size (size includes the header).
    internal const int HeaderSize = 8;
    internal const uint RecordLost = 2, RecordSample = 9;
    internal const int MaxRecordSize = ushort.MaxValue;

    private readonly ulong* _head;
    private readonly ulong* _tail;   // data_tail, written for the kernel; never read back (the page is writable by any holder)
    private ulong _consumed;         // the tail: the reader's own
    private readonly byte* _data;
    private readonly ulong _size;
    private readonly ulong _mask;
    private byte[]? _wrapBuffer;   // a record that runs past the end is copied here, once per ring

    public int Cpu { get; }

    public PerfRingCursor(byte* controlPage, byte* data, ulong dataSize, int cpu)
    {
        if (dataSize < HeaderSize || (dataSize & (dataSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(dataSize), dataSize, "the perf data area is a power of two bytes");
        _head = (ulong*)(controlPage + DataHeadOffset);
        _tail = (ulong*)(controlPage + DataTailOffset);
        _data = data;
        _size = dataSize;
        _mask = dataSize - 1;
        Cpu = cpu;
        _consumed = Volatile.Read(ref *_tail);   // the kernel's start, once
    }

    /// <summary>Sets the tail (benchmarks and tests that read the same records again).</summary>
    internal void Rewind(ulong tail)
    {
        _consumed = tail;
        Volatile.Write(ref *_tail, tail);
    }

    /// <summary>Bytes written by the kernel and not yet consumed.</summary>
    public ulong Pending => Volatile.Read(ref *_head) - _consumed;

    /// <summary>
    /// Hands every record present now to the handlers and frees their space; returns the number of
    /// samples delivered. Bounded: records the kernel adds meanwhile wait for the next call. A head or a
    /// record size that cannot be right (more than the ring, not 8-byte aligned, a sample too small for
    /// its raw size) is a <see cref="BpfException"/>, thrown before anything outside the data area is
    /// read; the reader then stays at that record.
    /// </summary>
    public int Drain(RecordHandler onRecord, LostRecordsHandler? onLost)
    {
        // Acquire: the record bytes below head are visible once head is.
        ulong head = Volatile.Read(ref *_head);
        ulong tail = _consumed;
        int delivered = 0;
        try
        {
            if (head - tail > _size || (tail & 7) != 0)
                throw new BpfException($"perf ring of CPU {Cpu} is corrupt: head {head}, tail {tail} (a {_size}-byte ring, 8-byte records)");
            while (tail != head)
            {
                ulong offset = tail & _mask;
                // The kernel writes records 8-byte aligned and the ring is a multiple of 8 (checked below
                // for every size), so a header never wraps.
                uint type = *(uint*)(_data + offset);
                int size = *(ushort*)(_data + offset + 6);
                if (size < HeaderSize || size % 8 != 0 || (ulong)size > head - tail)
                    throw new BpfException($"perf ring of CPU {Cpu} is corrupt: record of {size} bytes at position {tail}, {head - tail} bytes written");
                if (type == RecordSample && size < HeaderSize + sizeof(uint))
                    throw new BpfException($"perf ring of CPU {Cpu} is corrupt: sample of {size} bytes has no room for its raw size");

                ReadOnlySpan<byte> record = offset + (ulong)size <= _size
                    ? new ReadOnlySpan<byte>(_data + offset, size)
                    : Reassemble(offset, size);

                if (type == RecordSample)
                {
                    // sample_type is PERF_SAMPLE_RAW alone: u32 size, then the program's bytes.
                    uint rawSize = BinaryPrimitives.ReadUInt32LittleEndian(record[HeaderSize..]);
                    if (rawSize > (uint)(size - HeaderSize - sizeof(uint)))
                        throw new BpfException($"perf ring of CPU {Cpu} is corrupt: raw sample of {rawSize} bytes in a record of {size}");
                    onRecord(record.Slice(HeaderSize + sizeof(uint), (int)rawSize));
                    delivered++;
                }
                else if (type == RecordLost && onLost is not null && size >= HeaderSize + 16)
                {
                    // u64 id, u64 lost
                    onLost(Cpu, BinaryPrimitives.ReadUInt64LittleEndian(record[(HeaderSize + 8)..]));
                }
                tail += (ulong)size;
                _consumed = tail;
            }
        }
        finally
        {
            // Release: the kernel may reuse the space only after we are done reading it. Also puts back
            // our tail over whatever someone else wrote there.
            _consumed = tail;
            Volatile.Write(ref *_tail, tail);
        }
        return delivered;
    }

    private ReadOnlySpan<byte> Reassemble(ulong offset, int size)
    {
        byte[] buffer = _wrapBuffer ??= new byte[MaxRecordSize];
        int first = (int)(_size - offset);
        new ReadOnlySpan<byte>(_data + offset, first).CopyTo(buffer);
        new ReadOnlySpan<byte>(_data, size - first).CopyTo(buffer.AsSpan(first));
        return buffer.AsSpan(0, size);
    }
}
