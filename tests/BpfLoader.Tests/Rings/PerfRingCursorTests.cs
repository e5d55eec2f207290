using BpfLoader.Object;
using BpfLoader.Rings;

namespace BpfLoader.Tests.Rings;

public class PerfRingCursorTests
{
    private readonly List<byte[]> _records = [];
    private readonly List<(int Cpu, ulong Count)> _lost = [];

    private void OnRecord(ReadOnlySpan<byte> record) => _records.Add(record.ToArray());
    private void OnLost(int cpu, ulong count) => _lost.Add((cpu, count));

    [Fact]
    public void Delivers_the_raw_bytes_of_each_sample_exactly_and_frees_the_space()
    {
        using var ring = new SyntheticPerfRing(4096);
        ring.WriteSample(NumberedPayload.Make(1, 96));
        ring.WriteSample(NumberedPayload.Make(2, 13));   // not a multiple of 8: the record is padded, the span is not
        ring.Publish();

        Assert.Equal(2, ring.Cursor.Drain(OnRecord, OnLost));

        Assert.Equal([96, 13], _records.Select(r => r.Length));
        Assert.True(NumberedPayload.Matches(_records[0], 1));
        Assert.True(NumberedPayload.Matches(_records[1], 2));
        Assert.Equal(ring.Head, ring.Tail);
        Assert.Equal(0UL, ring.Cursor.Pending);
    }

    [Fact]
    public void Sees_only_what_was_published()
    {
        using var ring = new SyntheticPerfRing(4096);
        ring.WriteSample(NumberedPayload.Make(1, 40));
        ring.Publish();
        ring.WriteSample(NumberedPayload.Make(2, 40));   // written, head not moved yet

        Assert.Equal(1, ring.Cursor.Drain(OnRecord, OnLost));
        ring.Publish();
        Assert.Equal(1, ring.Cursor.Drain(OnRecord, OnLost));
        Assert.Equal([1UL, 2UL], _records.Select(r => NumberedPayload.Seq(r)));
    }

    [Theory]
    [InlineData(8)]      // header at the last 8 bytes, body at the start
    [InlineData(16)]     // header and raw size at the end, raw bytes at the start
    [InlineData(24)]
    [InlineData(60 * 8)]
    public void Reassembles_a_record_that_wraps_past_the_end(int bytesBeforeEnd)
    {
        ulong size = 1024;
        using var ring = new SyntheticPerfRing(size, startPosition: size - (ulong)bytesBeforeEnd);
        byte[] payload = NumberedPayload.Make(7, 100);
        ring.WriteSample(payload);
        ring.WriteSample(NumberedPayload.Make(8, 20));   // the next one, after the wrap, read in place
        ring.Publish();

        Assert.Equal(2, ring.Cursor.Drain(OnRecord, OnLost));
        Assert.Equal(payload, _records[0]);
        Assert.True(NumberedPayload.Matches(_records[1], 8));
        Assert.Equal(20, _records[1].Length);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(2048UL)]   // wraps in the middle
    [InlineData(8UL)]
    public void Delivers_one_record_as_large_as_the_ring(ulong start)
    {
        ulong size = 4096;
        using var ring = new SyntheticPerfRing(size, start);
        int raw = (int)size - 12;   // header 8 + u32 size
        Assert.Equal((int)size, SyntheticPerfRing.SampleRecordSize(raw));
        ring.WriteSample(NumberedPayload.Make(99, raw));
        ring.Publish();

        Assert.Equal(1, ring.Cursor.Drain(OnRecord, OnLost));
        Assert.True(NumberedPayload.Matches(_records.Single(), 99));
        Assert.Equal(raw, _records.Single().Length);
    }

    [Fact]
    public void Delivers_the_largest_record_perf_can_describe_when_the_ring_is_larger()
    {
        using var ring = new SyntheticPerfRing(1 << 17, startPosition: (1 << 17) - 64);
        int raw = 65528 - 12;   // the u16 record size, rounded down to 8
        ring.WriteSample(NumberedPayload.Make(5, raw));
        ring.Publish();

        Assert.Equal(1, ring.Cursor.Drain(OnRecord, OnLost));
        Assert.True(NumberedPayload.Matches(_records.Single(), 5));
    }

    [Fact]
    public void Many_small_records_arrive_in_order_across_many_wraps()
    {
        using var ring = new SyntheticPerfRing(512);
        ulong written = 0, expected = 0;
        var rng = new Random(1234);
        while (written < 20_000)
        {
            while (written < 20_000 && ring.TryWriteSample(NumberedPayload.Make(written, 8 + rng.Next(0, 40))))
                written++;
            ring.Publish();
            ring.Cursor.Drain(OnRecord, OnLost);
            foreach (byte[] r in _records)
                Assert.True(NumberedPayload.Matches(r, expected++), $"record {expected - 1} damaged");
            _records.Clear();
        }
        Assert.Equal(20_000UL, expected);
    }

    [Fact]
    public void Lost_records_are_reported_with_their_CPU_and_samples_around_them_still_arrive()
    {
        using var ring = new SyntheticPerfRing(4096, cpu: 3);
        ring.WriteSample(NumberedPayload.Make(1, 16));
        ring.WriteLost(5);
        ring.WriteSample(NumberedPayload.Make(2, 16));
        ring.WriteLost(7);
        ring.Publish();

        Assert.Equal(2, ring.Cursor.Drain(OnRecord, OnLost));
        Assert.Equal([(3, 5UL), (3, 7UL)], _lost);
        Assert.Equal([1UL, 2UL], _records.Select(r => NumberedPayload.Seq(r)));
    }

    [Fact]
    public void Lost_records_without_a_handler_are_skipped()
    {
        using var ring = new SyntheticPerfRing(4096);
        ring.WriteLost(5);
        ring.WriteSample(NumberedPayload.Make(1, 16));
        ring.Publish();

        Assert.Equal(1, ring.Cursor.Drain(OnRecord, onLost: null));
        Assert.Equal(ring.Head, ring.Tail);
    }

    [Fact]
    public void Records_of_other_types_are_skipped_whole()
    {
        using var ring = new SyntheticPerfRing(256, startPosition: 256 - 16);
        ring.WriteOther(type: 1, size: 48);    // PERF_RECORD_MMAP-sized, wrapping
        ring.WriteSample(NumberedPayload.Make(1, 24));
        ring.WriteOther(type: 3, size: 8);     // header only
        ring.WriteOther(type: 1000, size: 64);
        ring.WriteSample(NumberedPayload.Make(2, 24));
        ring.Publish();

        Assert.Equal(2, ring.Cursor.Drain(OnRecord, OnLost));
        Assert.Empty(_lost);
        Assert.Equal([1UL, 2UL], _records.Select(r => NumberedPayload.Seq(r)));
    }

    [Theory]
    [InlineData(0xFFFF_FFF0UL)]              // crosses 2^32
    [InlineData(0x1_0000_0000UL)]
    [InlineData(0x7_FFFF_FFF8UL)]
    [InlineData(0x1234_5678_9ABC_DE00UL)]
    [InlineData(0xFFFF_FFFF_FFFF_FF80UL)]    // the u64 positions themselves wrap to 0
    public void Positions_far_past_2_to_the_32_keep_working(ulong start)
    {
        using var ring = new SyntheticPerfRing(256, start);
        ulong expected = 0;
        for (ulong seq = 0; seq < 200; seq++)
        {
            ring.WriteSample(NumberedPayload.Make(seq, 20 + (int)(seq % 50)));
            if (seq % 3 == 2)
                ring.WriteLost(seq);
            ring.Publish();
            ring.Cursor.Drain(OnRecord, OnLost);
        }
        foreach (byte[] r in _records)
            Assert.True(NumberedPayload.Matches(r, expected++));
        Assert.Equal(200UL, expected);
        Assert.Equal(Enumerable.Range(0, 200).Where(s => s % 3 == 2).Select(s => (0, (ulong)s)), _lost);
        Assert.Equal(start + (ring.Tail - start), ring.Head);
        Assert.Equal(ring.Head, ring.Tail);
    }

    [Theory]
    [InlineData(0, 0u)]      // a zero size would never advance
    [InlineData(4, 0u)]      // smaller than the header
    [InlineData(4096, 0u)]   // more than was written
    [InlineData(16, 5u)]     // a raw size larger than the 4 bytes its record has room for
    public void A_corrupt_record_is_an_error_not_a_hang(int recordSize, uint rawSize)
    {
        using var ring = new SyntheticPerfRing(8192);
        Span<byte> record = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record, PerfRingCursor.RecordSample);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(record[6..], (ushort)recordSize);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record[8..], rawSize);
        ring.WriteRaw(record);
        ring.Publish();

        Assert.Throws<BpfException>(() => ring.Cursor.Drain(OnRecord, OnLost));
    }

    [Fact]
    public void Records_before_a_throwing_handler_are_consumed_and_the_rest_kept()
    {
        using var ring = new SyntheticPerfRing(4096);
        for (ulong seq = 0; seq < 3; seq++)
            ring.WriteSample(NumberedPayload.Make(seq, 16));
        ring.Publish();

        Assert.Throws<InvalidOperationException>(() => ring.Cursor.Drain(
            r => { if (NumberedPayload.Seq(r) == 1) throw new InvalidOperationException(); OnRecord(r); }, OnLost));
        Assert.Equal(2, ring.Cursor.Drain(OnRecord, OnLost));
        Assert.Equal([0UL, 1UL, 2UL], _records.Select(r => NumberedPayload.Seq(r)));
    }
}
