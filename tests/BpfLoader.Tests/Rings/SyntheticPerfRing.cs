using System.Buffers.Binary;
using System.Runtime.InteropServices;
using BpfLoader.Rings;

namespace BpfLoader.Tests.Rings;

/// <summary>
/// A perf event ring in ordinary memory, laid out as the kernel's mmap (control page, then a
/// power-of-two data area), with the test as the producer.
/// </summary>
internal sealed unsafe class SyntheticPerfRing : IDisposable
{
    private const int ControlPageSize = 4096;
    private readonly byte* _control;
    private readonly byte* _data;
    private ulong _head;   // the producer's private head, published by Publish
    private readonly byte[] _scratch = new byte[PerfRingCursor.MaxRecordSize];   // no allocation per record

    public ulong Size { get; }
    public PerfRingCursor Cursor { get; }

    public SyntheticPerfRing(ulong size, ulong startPosition = 0, int cpu = 0)
    {
        Size = size;
        _control = (byte*)NativeMemory.AlignedAlloc(ControlPageSize, 64);
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)size, 64);
        NativeMemory.Clear(_control, ControlPageSize);
        NativeMemory.Fill(_data, (nuint)size, 0xcd);   // garbage where nothing was written
        _head = startPosition;
        Head = startPosition;
        Tail = startPosition;
        Cursor = new PerfRingCursor(_control, _data, size, cpu);
    }

    public ulong Head
    {
        get => *(ulong*)(_control + PerfRingCursor.DataHeadOffset);
        private set => Volatile.Write(ref *(ulong*)(_control + PerfRingCursor.DataHeadOffset), value);
    }

    public ulong Tail
    {
        get => Volatile.Read(ref *(ulong*)(_control + PerfRingCursor.DataTailOffset));
        private set => Volatile.Write(ref *(ulong*)(_control + PerfRingCursor.DataTailOffset), value);
    }

    public ulong Free => Size - (_head - Tail);

    /// <summary>Moves the consumer back to <paramref name="tail"/>, so the same records are read again (benchmarks, allocation tests).</summary>
    public void Rewind(ulong tail) => Cursor.Rewind(tail);

    /// <summary>Writes data_tail as any holder of the mapping can: the reader must not trust it.</summary>
    public void CorruptTail(ulong tail) => Tail = tail;

    /// <summary>The record size the kernel uses for a raw sample of this many bytes.</summary>
    public static int SampleRecordSize(int rawBytes) => (PerfRingCursor.HeaderSize + sizeof(uint) + rawBytes + 7) & ~7;

    /// <summary>Writes a PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW; false when it does not fit.</summary>
    public bool TryWriteSample(ReadOnlySpan<byte> raw)
    {
        int size = SampleRecordSize(raw.Length);
        if ((ulong)size > Free)
            return false;
        Span<byte> record = _scratch.AsSpan(0, size);
        record.Clear();
        WriteHeader(record, PerfRingCursor.RecordSample, size);
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)raw.Length);
        raw.CopyTo(record[12..]);
        WriteRaw(record);
        return true;
    }

    public void WriteSample(ReadOnlySpan<byte> raw)
    {
        if (!TryWriteSample(raw))
            throw new InvalidOperationException("synthetic perf ring full");
    }

    /// <summary>Writes a PERF_RECORD_LOST: u64 id, u64 lost.</summary>
    public void WriteLost(ulong lost)
    {
        Span<byte> record = stackalloc byte[24];
        WriteHeader(record, PerfRingCursor.RecordLost, 24);
        BinaryPrimitives.WriteUInt64LittleEndian(record[8..], 42);
        BinaryPrimitives.WriteUInt64LittleEndian(record[16..], lost);
        WriteRaw(record);
    }

    /// <summary>Writes a record of another type, with a body of 0xee bytes.</summary>
    public void WriteOther(uint type, int size)
    {
        Span<byte> record = new byte[size];
        record.Fill(0xee);
        WriteHeader(record, type, size);
        WriteRaw(record);
    }

    /// <summary>Writes raw bytes at the head, wrapping at the end as the kernel does.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if ((ulong)bytes.Length > Free)
            throw new InvalidOperationException("synthetic perf ring full");
        int offset = (int)(_head & (Size - 1));
        int first = Math.Min(bytes.Length, (int)Size - offset);
        bytes[..first].CopyTo(new Span<byte>(_data + offset, first));
        bytes[first..].CopyTo(new Span<byte>(_data, bytes.Length - first));
        _head += (ulong)bytes.Length;
    }

    /// <summary>Makes everything written so far visible to the consumer (release, as the kernel's data_head).</summary>
    public void Publish() => Head = _head;

    private static void WriteHeader(Span<byte> record, uint type, int size)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(record, type);
        BinaryPrimitives.WriteUInt16LittleEndian(record[4..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(record[6..], (ushort)size);
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_control);
        NativeMemory.AlignedFree(_data);
    }
}
