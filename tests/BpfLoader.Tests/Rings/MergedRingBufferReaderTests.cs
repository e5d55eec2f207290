using System.Buffers.Binary;
using BpfLoader.Kernel;
using BpfLoader.Rings;

namespace BpfLoader.Tests.Rings;

/// <summary>
/// The merge of several ring buffers by the time in each record, over synthetic rings and a clock the test sets:
/// records are [u64 name][u64 time], the time at offset 8.
/// </summary>
public sealed class MergedRingBufferReaderTests : IDisposable
{
    private const int TimeOffset = 8;
    private readonly SyntheticRingBuffer[] _rings = [new(4096), new(4096), new(4096)];
    private readonly List<ulong> _names = [];
    private ulong _now = 1000;
    private readonly MergedRingBufferReader _reader;

    public MergedRingBufferReaderTests() =>
        _reader = new MergedRingBufferReader(_rings.Select(r => r.Cursor).ToArray(), TimeOffset,
            record => _names.Add(BinaryPrimitives.ReadUInt64LittleEndian(record)), () => _now);

    private static byte[] Record(ulong name, ulong time, int length = 16)
    {
        var bytes = new byte[length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, name);
        if (length >= 16)
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), time);
        return bytes;
    }

    /// <summary>Writes record <paramref name="name"/> stamped <paramref name="time"/> into ring <paramref name="ring"/>.</summary>
    private void Write(int ring, ulong name, ulong time) => _rings[ring].Write(Record(name, time));

    [Fact]
    public void Records_of_every_ring_come_out_in_the_order_of_their_time_each_once()
    {
        Write(0, 1, 10); Write(0, 4, 40); Write(0, 6, 60);
        Write(1, 2, 20); Write(1, 3, 30); Write(1, 7, 70);
        Write(2, 5, 50);

        Assert.Equal(7, _reader.DrainAll());

        Assert.Equal([1UL, 2, 3, 4, 5, 6, 7], _names);
        Assert.All(_rings, r => Assert.Equal(r.Producer, r.Consumer));
        Assert.Equal(0, _reader.DrainAll());
    }

    [Fact]
    public void A_record_stamped_at_or_after_the_rounds_clock_reading_waits_for_a_later_round()
    {
        // Reserved after the reader read the positions, a record of another ring may still carry an earlier time.
        Write(0, 1, 900);
        Write(0, 2, 1000);
        Write(1, 3, 1100);

        Assert.Equal(1, _reader.DrainAll());
        Assert.Equal([1UL], _names);

        _now = 1200;
        Assert.Equal(2, _reader.DrainAll());
        Assert.Equal([1UL, 2, 3], _names);
    }

    [Fact]
    public void A_record_still_being_written_holds_back_later_records_of_every_ring_until_it_is_committed()
    {
        Write(0, 1, 100);
        Assert.Equal(1, _reader.DrainAll());   // ring 0 was last seen empty at 1000: its next record is not earlier

        _now = 2000;
        ulong busy = _rings[0].Reserve(Record(2, 1500));
        Write(1, 3, 900);    // before ring 0 was seen empty: out
        Write(1, 4, 1600);   // after: it waits, the busy record may be earlier
        Write(2, 5, 1200);

        Assert.Equal(1, _reader.DrainAll());
        Assert.Equal([1UL, 3], _names);

        _rings[0].Commit(busy);
        Assert.Equal(3, _reader.DrainAll());
        Assert.Equal([1UL, 3, 5, 2, 4], _names);
    }

    [Fact]
    public void A_busy_record_bounds_the_round_by_the_last_clock_reading_before_it_was_reserved()
    {
        // Reserved before the reader's first round: nothing is known of its time, so every ring waits for it.
        ulong early = _rings[1].Reserve(Record(2, 990));
        Assert.Equal(0, _reader.DrainAll());

        _rings[1].Commit(early);
        _now = 2000;
        Write(0, 1, 1100);
        ulong busy = _rings[0].Reserve(Record(3, 1150));
        Write(1, 4, 1400);

        // The busy record was reserved after the round at 1000, so it is stamped later; but it may be stamped before
        // record 1 (a program interrupted between its reservation and its clock read), so record 1 waits too.
        Assert.Equal(1, _reader.DrainAll());
        Assert.Equal([2UL], _names);

        _rings[0].Commit(busy);
        Assert.Equal(3, _reader.DrainAll());
        Assert.Equal([2UL, 1, 3, 4], _names);
    }

    [Fact]
    public void A_record_stamped_after_a_later_one_of_its_ring_goes_out_before_what_happened_after_the_later_one()
    {
        // Ring 0: record 1 was reserved first but stamped at 300, after record 2 (nested, or another CPU's reservation
        // into a shared ring). Record 3 on ring 1 was made at 200, after record 2 was committed: it must follow record 2,
        // and so record 1 too (a ring is read in its order).
        Write(0, 1, 300);
        Write(0, 2, 100);
        Write(1, 3, 200);
        Write(2, 4, 350);

        Assert.Equal(4, _reader.DrainAll());
        Assert.Equal([1UL, 2, 3, 4], _names);
    }

    [Fact]
    public void A_time_that_runs_past_the_end_of_a_ring_mapped_once_is_read_whole()
    {
        // [u32 name][u64 time at 4]. Ring 0's second record has its header at 48 of 64 bytes, so its time spans 60..67;
        // it is stamped before the first, which therefore goes out before record 3 too.
        using var wrapping = new SyntheticRingBuffer(64, startPosition: 24);
        using var plain = new SyntheticRingBuffer(64);
        var names = new List<uint>();
        using var reader = new MergedRingBufferReader([wrapping.Cursor, plain.Cursor], 4,
            record => names.Add(BinaryPrimitives.ReadUInt32LittleEndian(record)), () => ulong.MaxValue);
        static byte[] Unaligned(uint name, ulong time)
        {
            var bytes = new byte[12];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, name);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(4), time);
            return bytes;
        }
        wrapping.Write(Unaligned(1, 0x0300_0000_0000_0010));
        wrapping.Write(Unaligned(2, 0x0300_0000_0000_0005));
        plain.Write(Unaligned(3, 0x0300_0000_0000_0008));

        Assert.Equal(3, reader.DrainAll());
        Assert.Equal([1u, 2, 3], names);
    }

    [Fact]
    public void Discarded_records_are_skipped_and_a_record_too_short_for_a_time_counts_as_time_zero()
    {
        Write(0, 2, 20);
        _rings[0].Commit(_rings[0].Reserve(Record(99, 5)), discard: true);
        Write(0, 3, 30);
        _rings[1].Write(Record(1, 0, length: 12));

        Assert.Equal(3, _reader.DrainAll());
        Assert.Equal([1UL, 2, 3], _names);
        Assert.All(_rings, r => Assert.Equal(r.Producer, r.Consumer));
    }

    [Fact]
    public void Many_rounds_over_rings_written_in_turn_keep_the_time_order_and_lose_nothing()
    {
        var random = new Random(7);
        ulong time = 0, name = 0;
        for (int round = 0; round < 200; round++)
        {
            for (int i = random.Next(0, 20); i > 0; i--)
            {
                time += (ulong)random.Next(1, 5);
                if (!_rings[random.Next(3)].TryWrite(Record(++name, time)))
                    break;
            }
            _now = time + 1;
            _reader.DrainAll();
        }
        Assert.Equal(Enumerable.Range(1, (int)name).Select(n => (ulong)n), _names);
    }

    /// <summary>
    /// Producers as the kernel's: each reserves (the ring's order), reads the clock some time later (an interrupt may
    /// come between), commits a little after that; rounds read the clock and the positions at random moments. Whatever
    /// was committed before another record was reserved must come out before it, whichever rings the two are in.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Records_committed_before_another_was_reserved_come_out_before_it_however_their_stamps_interleave(int seed)
    {
        var random = new Random(seed);
        var records = new List<(int Ring, ulong Name, ulong Reserved, ulong Stamped, ulong Committed)>();
        for (ulong t = 0, name = 1; name <= 1500; name++)
        {
            t += (ulong)random.Next(0, 4);
            // Mostly at once; often after a short interrupt; now and then after a long one (longer than the reader's
            // memory of its last rounds).
            int delay = random.Next(100) switch { < 70 => random.Next(0, 3), < 98 => random.Next(0, 60), _ => random.Next(200, 600) };
            ulong stamped = t + (ulong)delay;
            records.Add((random.Next(3), name, t, stamped, stamped + (ulong)random.Next(0, 3)));
        }
        // Rings large enough for what a long interrupt holds back.
        using SyntheticRingBuffer first = new(64 * 1024), second = new(64 * 1024), third = new(64 * 1024);
        SyntheticRingBuffer[] rings = [first, second, third];
        ulong clock = 0;
        using var reader = new MergedRingBufferReader(rings.Select(r => r.Cursor).ToArray(), TimeOffset,
            record => _names.Add(BinaryPrimitives.ReadUInt64LittleEndian(record)), () => clock);
        var positions = new Dictionary<ulong, ulong>();
        int reserved = 0;
        var committed = new HashSet<ulong>();
        for (; _names.Count < records.Count; clock += (ulong)random.Next(1, 25))
        {
            // Everything that happened before this round's clock reading, in time order: reservations, then commits.
            for (; reserved < records.Count && records[reserved].Reserved < clock; reserved++)
            {
                var r = records[reserved];
                positions[r.Name] = rings[r.Ring].Reserve(Record(r.Name, r.Stamped));
            }
            foreach (var r in records.Take(reserved).Where(r => r.Committed < clock && committed.Add(r.Name)))
                rings[r.Ring].Commit(positions[r.Name]);
            reader.DrainAll();
            Assert.True(clock < 1_000_000, $"{_names.Count} of {records.Count} records out");
        }

        Assert.Equal(records.Select(r => r.Name).Order(), _names.Order());
        var order = _names.Select((name, index) => (name, index)).ToDictionary(p => p.name, p => p.index);
        foreach (var a in records)
            foreach (var b in records.Where(b => a.Committed < b.Reserved))
                Assert.True(order[a.Name] < order[b.Name], $"record {a.Name} (committed at {a.Committed}) came out after {b.Name} (reserved at {b.Reserved})");
    }

    [Fact]
    public void The_programs_clock_outside_a_time_namespace_and_the_offset_inside_one()
    {
        Assert.Equal(0, BpfClock.ParseNamespaceOffset("monotonic           0         0\nboottime            0         0\n"));
        Assert.Equal(-86_400_000_000_000L + 5, BpfClock.ParseNamespaceOffset("monotonic      -86400         5\nboottime 7 0\n"));
        Assert.Equal(0, BpfClock.ParseNamespaceOffset(""));
        Assert.Equal(0, BpfClock.ReadNamespaceOffset("/nonexistent/timens_offsets"));
        ulong a = BpfClock.NowNs(), b = BpfClock.NowNs();
        Assert.True(b >= a);
        Assert.InRange((long)a, (long)(Environment.TickCount64 - 1000) * 1_000_000, (long)(Environment.TickCount64 + 1000) * 1_000_000);
    }

    public void Dispose()
    {
        foreach (SyntheticRingBuffer ring in _rings) ring.Dispose();
    }
}
