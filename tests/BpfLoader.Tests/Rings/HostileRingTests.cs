using System.Buffers.Binary;
using BpfLoader.Object;
using BpfLoader.Rings;

namespace BpfLoader.Tests.Rings;

/// <summary>
/// Positions and sizes a reader does not control (issue 13, item 8). The consumer page of a ring buffer
/// and the control page of a perf ring are writable by any holder of the fd; record sizes come from the
/// ring. The reader keeps its own consumer position (it writes the page, never reads it back), and every
/// read stays inside the data area: a size that cannot be right is a <see cref="BpfException"/> naming
/// the ring, after which the reader stops at that record (the caller's choice to end).
/// </summary>
public class HostileRingTests
{
    private readonly List<byte[]> _records = [];
    private readonly List<(int Cpu, ulong Lost)> _lost = [];

    private void OnRecord(ReadOnlySpan<byte> record) => _records.Add(record.ToArray());

    private void OnLost(int cpu, ulong lost) => _lost.Add((cpu, lost));

    [Fact]
    public void A_ring_buffer_consumer_position_rewound_by_someone_else_does_not_replay_records()
    {
        using var ring = new SyntheticRingBuffer(4096);
        ring.Write(NumberedPayload.Make(1, 64));
        ring.Write(NumberedPayload.Make(2, 64));
        Assert.Equal(2, ring.Cursor.Drain(OnRecord));
        ulong consumed = ring.Consumer;

        ring.CorruptConsumer(0);

        Assert.Equal(0, ring.Cursor.Drain(OnRecord));
        Assert.Equal([1UL, 2UL], _records.Select(r => NumberedPayload.Seq(r)));
        Assert.Equal(consumed, ring.Consumer);   // the reader's position written back over the forgery
        ring.Write(NumberedPayload.Make(3, 64));
        Assert.Equal(1, ring.Cursor.Drain(OnRecord));
        Assert.Equal(3UL, NumberedPayload.Seq(_records[^1]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_forged_consumer_position_cannot_aim_the_reader_at_a_fake_header_past_the_mapping(bool doubleMapped)
    {
        // A payload holding what looks like a header of a 6000-byte record, in a 4096-byte ring.
        const ulong start = 1UL << 22;
        using var ring = new SyntheticRingBuffer(4096, startPosition: start, doubleMapped: doubleMapped);
        byte[] payload = NumberedPayload.Make(1, 64);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(16), 6000);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(20), 0);
        ring.Write(payload);
        Assert.Equal(1, ring.Cursor.Drain(OnRecord));
        ulong consumed = ring.Consumer;

        // Same offset in the ring as the fake header, and far enough behind the producer for 6000 bytes.
        ring.CorruptConsumer(start + RingBufferCursor.HeaderSize + 16 - (1UL << 21));

        Assert.Equal(0, ring.Cursor.Drain(OnRecord));
        Assert.Single(_records);
        Assert.Equal(consumed, ring.Consumer);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_ring_buffer_record_longer_than_the_ring_is_an_error_and_nothing_past_the_data_is_read(bool doubleMapped)
    {
        using var ring = new SyntheticRingBuffer(4096, doubleMapped: doubleMapped);
        ulong at = ring.Reserve(NumberedPayload.Make(1, 64));
        ring.OverwriteLength(at, 6000);
        ring.CorruptProducer(at + 8192);   // claims more than the ring holds

        var e = Assert.Throws<BpfException>(() => ring.Cursor.Drain(OnRecord));
        Assert.Contains("ring buffer is corrupt", e.Message, StringComparison.Ordinal);
        Assert.Empty(_records);
        Assert.Equal(at, ring.Consumer);
    }

    [Fact]
    public void A_perf_ring_tail_rewound_by_someone_else_does_not_replay_records()
    {
        using var ring = new SyntheticPerfRing(4096);
        ring.WriteSample(NumberedPayload.Make(1, 32));
        ring.WriteSample(NumberedPayload.Make(2, 32));
        ring.Publish();
        Assert.Equal(2, ring.Cursor.Drain(OnRecord, OnLost));
        ulong consumed = ring.Tail;

        ring.CorruptTail(0);

        Assert.Equal(0, ring.Cursor.Drain(OnRecord, OnLost));
        Assert.Equal(2, _records.Count);
        Assert.Equal(consumed, ring.Tail);
        ring.WriteSample(NumberedPayload.Make(3, 32));
        ring.Publish();
        Assert.Equal(1, ring.Cursor.Drain(OnRecord, OnLost));
        Assert.Equal(3UL, NumberedPayload.Seq(_records[^1]));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(11)]
    [InlineData(12)]   // 8-byte header, 4-byte raw size of 0: fits, but no kernel writes an unaligned record
    [InlineData(20)]
    public void A_perf_sample_of_an_impossible_size_is_an_error_naming_the_ring(int size)
    {
        using var ring = new SyntheticPerfRing(4096, cpu: 3);
        var record = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(record, PerfRingCursor.RecordSample);
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(6), (ushort)size);
        ring.WriteRaw(record);
        ring.Publish();

        var e = Assert.Throws<BpfException>(() => ring.Cursor.Drain(OnRecord, OnLost));
        Assert.Contains("perf ring of CPU 3 is corrupt", e.Message, StringComparison.Ordinal);
        Assert.Empty(_records);
    }

    [Fact]
    public void An_unaligned_perf_record_before_the_end_of_the_ring_is_not_followed_past_it()
    {
        // A 12-byte record ending 4 bytes before the end: the next "header" would straddle the end.
        using var ring = new SyntheticPerfRing(4096, startPosition: 4096 - 16);
        var record = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(record, PerfRingCursor.RecordSample);
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(6), 12);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(16), PerfRingCursor.RecordSample);
        ring.WriteRaw(record);
        ring.Publish();

        Assert.Throws<BpfException>(() => ring.Cursor.Drain(OnRecord, OnLost));
        Assert.Empty(_records);
    }

    [Fact]
    public void A_perf_tail_forged_before_the_first_read_is_ignored()
    {
        using var ring = new SyntheticPerfRing(4096);
        ring.WriteSample(NumberedPayload.Make(1, 32));
        ring.Publish();
        ring.CorruptTail(ring.Head - 3 * 4096);   // forged before the reader has read anything

        // The reader started at 0 and ignores the forged tail: it reads the one record.
        Assert.Equal(1, ring.Cursor.Drain(OnRecord, OnLost));
        Assert.Equal(ring.Head, ring.Tail);
    }

    [Fact]
    public void A_ring_buffer_whose_page_held_an_unaligned_position_before_the_reader_opened_is_an_error()
    {
        // The position the cursor starts from is the page's at that moment: 2 bytes short of the end.
        using var ring = new SyntheticRingBuffer(4096, startPosition: 4096 - 2);
        ring.CorruptProducer(4096 + 8);

        var e = Assert.Throws<BpfException>(() => ring.Cursor.Drain(OnRecord));
        Assert.Contains("ring buffer is corrupt", e.Message, StringComparison.Ordinal);
        Assert.Empty(_records);
    }
}
