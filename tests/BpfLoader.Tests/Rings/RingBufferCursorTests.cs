using BpfLoader.Object;
using BpfLoader.Rings;

namespace BpfLoader.Tests.Rings;

public class RingBufferCursorTests
{
    private readonly List<byte[]> _records = [];

    private void OnRecord(ReadOnlySpan<byte> record) => _records.Add(record.ToArray());

    private IEnumerable<ulong> Seqs => _records.Select(r => NumberedPayload.Seq(r));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Delivers_each_committed_record_exactly_and_frees_the_space(bool releaseEachRecord)
    {
        using var ring = new SyntheticRingBuffer(4096, releaseEachRecord: releaseEachRecord);
        ring.Write(NumberedPayload.Make(1, 96));
        ring.Write(NumberedPayload.Make(2, 13));

        Assert.Equal(2, ring.Cursor.Drain(OnRecord));

        Assert.Equal([96, 13], _records.Select(r => r.Length));
        Assert.True(NumberedPayload.Matches(_records[0], 1));
        Assert.True(NumberedPayload.Matches(_records[1], 2));
        Assert.Equal(ring.Producer, ring.Consumer);
        Assert.Equal(0UL, ring.Cursor.Pending);
    }

    /// <summary>A long drain gives space back to the producer every so many bytes, not per record, not only at its end.</summary>
    [Theory]
    [InlineData(0UL)]
    [InlineData(1024UL)]
    public void A_long_drain_publishes_the_consumer_position_every_interval(ulong every)
    {
        using var ring = new SyntheticRingBuffer(64 * 1024, releaseEveryBytes: every);
        ulong start = ring.Consumer;
        for (int i = 0; i < 200; i++)
            ring.Write(NumberedPayload.Make((ulong)i, 96));
        var seen = new List<ulong>();

        Assert.Equal(200, ring.Cursor.Drain(_ => seen.Add(ring.Consumer)));

        ulong record = SyntheticRingBuffer.RecordSize(96);
        List<ulong> published = seen.Distinct().ToList();
        if (every == 0)
        {
            Assert.Equal([start], published);
        }
        else
        {
            // 200 records of 104 bytes: a publication every 10 records (1,040 bytes), 19 within the drain.
            Assert.Equal(20, published.Count);
            for (int i = 1; i < published.Count; i++)
                Assert.InRange(published[i] - published[i - 1], every, every + record - 1);
        }
        Assert.Equal(ring.Producer, ring.Consumer);
    }

    [Fact]
    public void Discarded_records_are_skipped()
    {
        using var ring = new SyntheticRingBuffer(4096);
        ring.Write(NumberedPayload.Make(1, 16));
        ring.Commit(ring.Reserve(NumberedPayload.Make(100, 40)), discard: true);
        ring.Write(NumberedPayload.Make(2, 16));
        ring.Commit(ring.Reserve(NumberedPayload.Make(101, 8)), discard: true);

        Assert.Equal(2, ring.Cursor.Drain(OnRecord));
        Assert.Equal([1UL, 2UL], Seqs);
        Assert.Equal(ring.Producer, ring.Consumer);
    }

    [Fact]
    public void A_busy_record_stops_consumption_until_it_is_committed()
    {
        using var ring = new SyntheticRingBuffer(4096);
        ring.Write(NumberedPayload.Make(1, 16));
        ulong busy = ring.Reserve(NumberedPayload.Make(2, 16));
        ring.Write(NumberedPayload.Make(3, 16));   // committed, but behind the busy one

        Assert.Equal(1, ring.Cursor.Drain(OnRecord));
        Assert.Equal(busy, ring.Consumer);
        Assert.Equal(0, ring.Cursor.Drain(OnRecord));   // returns, does not spin

        ring.Commit(busy);
        Assert.Equal(2, ring.Cursor.Drain(OnRecord));
        Assert.Equal([1UL, 2UL, 3UL], Seqs);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Many_records_arrive_in_order_across_many_wraps(bool doubleMapped)
    {
        using var ring = new SyntheticRingBuffer(1024, doubleMapped: doubleMapped);
        ulong written = 0, expected = 0;
        var rng = new Random(99);
        while (written < 20_000)
        {
            while (written < 20_000 && ring.TryWrite(NumberedPayload.Make(written, 8 + rng.Next(0, 120))))
                written++;
            ring.Cursor.Drain(OnRecord);
            foreach (byte[] r in _records)
                Assert.True(NumberedPayload.Matches(r, expected++), $"record {expected - 1} damaged");
            _records.Clear();
        }
        Assert.Equal(20_000UL, expected);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(2048UL)]
    [InlineData(4088UL)]
    public void A_record_exactly_filling_the_ring_is_delivered(ulong start)
    {
        using var ring = new SyntheticRingBuffer(4096, start);
        int payload = 4096 - 8;
        Assert.Equal(4096UL, SyntheticRingBuffer.RecordSize(payload));
        ring.Write(NumberedPayload.Make(42, payload));

        Assert.Equal(1, ring.Cursor.Drain(OnRecord));
        Assert.True(NumberedPayload.Matches(_records.Single(), 42));
        Assert.Equal(payload, _records.Single().Length);
    }

    [Theory]
    [InlineData(8, false)]
    [InlineData(16, false)]
    [InlineData(504, false)]
    [InlineData(8, true)]
    [InlineData(16, true)]
    [InlineData(504, true)]
    public void A_record_that_wraps_is_read_whole_mapped_once_or_twice(int bytesBeforeEnd, bool doubleMapped)
    {
        using var ring = new SyntheticRingBuffer(1024, startPosition: 1024 - (ulong)bytesBeforeEnd, doubleMapped: doubleMapped);
        byte[] payload = NumberedPayload.Make(9, 300);
        ring.Write(payload);
        ring.Write(NumberedPayload.Make(10, 20));

        Assert.Equal(2, ring.Cursor.Drain(OnRecord));
        Assert.Equal(payload, _records[0]);
        Assert.True(NumberedPayload.Matches(_records[1], 10));
    }

    [Theory]
    [InlineData(0xFFFF_FFF0UL)]
    [InlineData(0x1_0000_0000UL)]
    [InlineData(0x7_FFFF_FFF8UL)]
    [InlineData(0x1234_5678_9ABC_DE00UL)]
    [InlineData(0xFFFF_FFFF_FFFF_FF80UL)]
    public void Positions_far_past_2_to_the_32_keep_working(ulong start)
    {
        using var ring = new SyntheticRingBuffer(512, start);
        for (ulong seq = 0; seq < 300; seq++)
        {
            ring.Write(NumberedPayload.Make(seq, 20 + (int)(seq % 90)));
            if (seq % 4 == 1)
                ring.Commit(ring.Reserve(NumberedPayload.Make(1000 + seq, 12)), discard: true);
            ring.Cursor.Drain(OnRecord);
        }
        Assert.Equal(Enumerable.Range(0, 300).Select(s => (ulong)s), Seqs);
        for (int i = 0; i < _records.Count; i++)
            Assert.True(NumberedPayload.Matches(_records[i], (ulong)i));
        Assert.Equal(ring.Producer, ring.Consumer);
    }

    [Fact]
    public void A_length_beyond_what_was_reserved_is_an_error_not_a_hang()
    {
        using var ring = new SyntheticRingBuffer(4096);
        ulong position = ring.Reserve(NumberedPayload.Make(1, 16));
        ring.OverwriteLength(position, 2000);

        Assert.Throws<BpfException>(() => ring.Cursor.Drain(OnRecord));
    }
}
