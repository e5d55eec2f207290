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
        _reader = new MergedRingBufferReader(_rings.Select(r => r.Cursor).ToArray(), 0, TimeOffset,
            record => _names.Add(BinaryPrimitives.ReadUInt64LittleEndian(record)), () => Volatile.Read(ref _now));

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

    /// <summary>At exit, after the detach: a program may still be writing its record, which stops one DrainAll, and a
    /// record stamped after the round's clock reading waits for a later round. DrainToEnd takes both.</summary>
    [Fact]
    public async Task Draining_to_the_end_waits_for_a_record_still_being_written_and_for_what_it_held_back()
    {
        Write(0, 1, 100);
        ulong busy = _rings[1].Reserve(Record(2, 1500));
        Write(2, 3, 1600);
        Task commit = Task.Run(async () =>
        {
            await Task.Delay(50);
            _rings[1].Commit(busy);
            Volatile.Write(ref _now, 2000);
        });

        int delivered = _reader.DrainToEnd(TimeSpan.FromSeconds(30));
        await commit;

        Assert.Equal(3, delivered);
        Assert.Equal([1UL, 2, 3], _names);
    }

    [Fact]
    public void Draining_to_the_end_gives_up_on_a_record_never_committed_at_the_timeout()
    {
        Assert.Equal(0, _reader.DrainAll());   // every ring seen empty at 1000: the busy record is stamped after that
        Write(0, 1, 100);
        _rings[1].Reserve(Record(2, 1500));

        Assert.Equal(1, _reader.DrainToEnd(TimeSpan.FromMilliseconds(20)));
        Assert.Equal([1UL], _names);
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
    public void A_busy_record_of_a_rings_own_CPU_is_stamped_after_the_record_before_it_and_holds_back_only_what_is_later()
    {
        using SyntheticRingBuffer cpu0 = new(4096), cpu1 = new(4096), shared = new(4096);
        var names = new List<ulong>();
        ulong now = 1000;
        using var reader = new MergedRingBufferReader([cpu0.Cursor, cpu1.Cursor, shared.Cursor], 2, TimeOffset,
            record => names.Add(BinaryPrimitives.ReadUInt64LittleEndian(record)), () => now);
        Assert.Equal(0, reader.DrainAll());   // at 1000, every ring empty

        now = 2000;
        cpu0.Write(Record(1, 1100));
        ulong busy = cpu0.Reserve(Record(3, 1150));
        shared.Write(Record(2, 1050));

        // CPU 0's program for record 3 began after its program for record 1 ended (or the other way round, and then
        // record 3 would be committed first): record 3 is stamped after 1100, not merely after the round at 1000.
        Assert.Equal(1, reader.DrainAll());
        Assert.Equal([2UL], names);

        cpu0.Commit(busy);
        Assert.Equal(2, reader.DrainAll());
        Assert.Equal([2UL, 1, 3], names);
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
    public void A_ring_whose_times_fall_back_again_and_again_places_each_record_by_the_earliest_time_from_it_on()
    {
        // Ring 0's records are placed at 10, 10, 20, 20, 30, 30, 80; ring 1's run in order between them.
        Write(0, 2, 50); Write(0, 3, 10); Write(0, 5, 60); Write(0, 6, 20); Write(0, 8, 70); Write(0, 9, 30); Write(0, 12, 80);
        Write(1, 1, 5); Write(1, 4, 15); Write(1, 7, 25); Write(1, 10, 35); Write(1, 11, 75); Write(1, 15, 85);

        // Before the clock reading only: what is placed at 78 or later waits, each ring from where it stopped.
        _now = 78;
        Assert.Equal(11, _reader.DrainAll());
        Assert.Equal([1UL, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], _names);

        Write(0, 13, 95); Write(0, 14, 82);
        Write(1, 16, 96);
        _now = 1000;
        Assert.Equal(5, _reader.DrainAll());
        Assert.Equal(Enumerable.Range(1, 16).Select(n => (ulong)n), _names);
        Assert.All(_rings, r => Assert.Equal(r.Producer, r.Consumer));
    }

    [Fact]
    public void A_handler_that_throws_leaves_its_record_and_every_later_one_for_the_next_round_each_delivered_once()
    {
        // Ring 0: 1 at 10, a discarded record, 4 at 30 (placed at 25 by 5 after it). Ring 1: 2 at 20, a discarded
        // record, 3 at 24, 6 at 40. The handler fails on 4, once.
        Write(0, 1, 10);
        _rings[0].Commit(_rings[0].Reserve(Record(99, 1)), discard: true);
        ulong four = _rings[0].Reserve(Record(4, 30));
        _rings[0].Commit(four);
        Write(0, 5, 25);
        Write(1, 2, 20);
        _rings[1].Commit(_rings[1].Reserve(Record(98, 1)), discard: true);
        ulong three = _rings[1].Reserve(Record(3, 24));
        _rings[1].Commit(three);
        Write(1, 6, 40);
        bool thrown = false;
        var names = new List<ulong>();
        using var reader = new MergedRingBufferReader(_rings.Select(r => r.Cursor).ToArray(), 0, TimeOffset, record =>
        {
            ulong name = BinaryPrimitives.ReadUInt64LittleEndian(record);
            if (name == 4 && !thrown)
            {
                thrown = true;
                throw new InvalidOperationException("sink failed");
            }
            names.Add(name);
        }, () => 1000);

        Assert.Throws<InvalidOperationException>(() => reader.DrainAll());
        Assert.Equal([1UL, 2, 3], names);
        // Published: past what was handed on and the discarded records before the next, not past the failed record.
        Assert.Equal(four, _rings[0].Consumer);
        Assert.Equal(_rings[1].Producer - SyntheticRingBuffer.RecordSize(16), _rings[1].Consumer);

        Assert.Equal(3, reader.DrainAll());
        Assert.Equal([1UL, 2, 3, 4, 5, 6], names);
        Assert.All(_rings, r => Assert.Equal(r.Producer, r.Consumer));
        Assert.Equal(0, reader.DrainAll());
    }

    [Fact]
    public void A_busy_record_between_committed_ones_stops_its_rings_walk_and_what_follows_it_places_it_once_committed()
    {
        using SyntheticRingBuffer cpu0 = new(4096), cpu1 = new(4096), shared = new(4096);
        var names = new List<ulong>();
        ulong now = 5;
        using var reader = new MergedRingBufferReader([cpu0.Cursor, cpu1.Cursor, shared.Cursor], 2, TimeOffset,
            record => names.Add(BinaryPrimitives.ReadUInt64LittleEndian(record)), () => now);
        Assert.Equal(0, reader.DrainAll());   // at 5, every ring empty

        now = 1000;
        cpu0.Write(Record(1, 10));
        cpu0.Write(Record(2, 12));
        ulong busy = cpu0.Reserve(Record(5, 40));
        cpu0.Write(Record(6, 20));   // stamped before the busy record: places it at 20 once it is committed
        cpu1.Write(Record(3, 11));
        cpu1.Write(Record(4, 15));
        cpu1.Write(Record(7, 30));
        cpu1.Write(Record(8, 50));

        // CPU 0's ring holds back what is stamped from 12 on (its busy record was reserved after 12 was stamped).
        Assert.Equal(2, reader.DrainAll());
        Assert.Equal([1UL, 3], names);

        cpu0.Commit(busy);
        Assert.Equal(6, reader.DrainAll());
        Assert.Equal([1UL, 3, 2, 4, 5, 6, 7, 8], names);
    }

    [Fact]
    public void A_record_that_wraps_in_a_ring_mapped_once_is_handed_on_whole_in_its_place_among_another_rings()
    {
        // 40-byte records [u64 name][u64 time][24 bytes]: in a 256-byte ring from 192, the second's body runs from 248
        // past the end; each round reads it anew from the same positions.
        using var wrapping = new SyntheticRingBuffer(256, startPosition: 192);
        using var plain = new SyntheticRingBuffer(256);
        var records = new List<byte[]>();
        using var reader = new MergedRingBufferReader([wrapping.Cursor, plain.Cursor], 0, TimeOffset,
            record => records.Add(record.ToArray()), () => 1000);
        static byte[] Long(ulong name, ulong time)
        {
            byte[] bytes = Record(name, time, length: 40);
            for (int i = 16; i < 40; i++)
                bytes[i] = (byte)(name * 37 + (ulong)i);
            return bytes;
        }
        byte[][] expected = [Long(1, 10), Long(2, 20), Long(3, 30), Long(4, 40), Long(5, 45)];
        for (int round = 0; round < 3; round++)
        {
            records.Clear();
            wrapping.Rewind(192);
            plain.Rewind(0);
            if (round == 0)
            {
                wrapping.Write(expected[0]);
                wrapping.Write(expected[2]);   // wraps
                wrapping.Write(expected[4]);
                plain.Write(expected[1]);
                plain.Write(expected[3]);
            }

            Assert.Equal(5, reader.DrainAll());
            Assert.Equal(expected, records);
        }
    }

    [Fact]
    public void Within_a_round_space_is_given_back_every_so_many_bytes_but_never_past_the_record_being_handed_on()
    {
        using var ring = new SyntheticRingBuffer(4096, releaseEveryBytes: 64);
        using var other = new SyntheticRingBuffer(4096);
        var positions = new List<ulong>();
        var seen = new List<(ulong Name, ulong Consumer)>();
        using var reader = new MergedRingBufferReader([ring.Cursor, other.Cursor], 0, TimeOffset,
            record => seen.Add((BinaryPrimitives.ReadUInt64LittleEndian(record), ring.Consumer)), () => 1000);
        for (ulong name = 0; name < 20; name++)
        {
            if (name % 5 == 4)
            {
                other.Write(Record(name, 10 * name));
                continue;
            }
            positions.Add(ring.Reserve(Record(name, 10 * name)));
            ring.Commit(positions[^1]);
        }

        Assert.Equal(20, reader.DrainAll());
        Assert.Equal(Enumerable.Range(0, 20).Select(n => (ulong)n), seen.Select(s => s.Name));
        int index = 0;
        foreach ((ulong name, ulong consumer) in seen)
        {
            if (name % 5 == 4)
                continue;
            Assert.True(consumer <= positions[index], $"record {name} at {positions[index]} handed on with the consumer at {consumer}");
            index++;
        }
        Assert.True(seen[^1].Consumer > 0, "nothing given back within the round");
        Assert.Equal(ring.Producer, ring.Consumer);
    }

    [Fact]
    public void A_time_that_runs_past_the_end_of_a_ring_mapped_once_is_read_whole()
    {
        // [u32 name][u64 time at 4]. Ring 0's second record has its header at 48 of 64 bytes, so its time spans 60..67;
        // it is stamped before the first, which therefore goes out before record 3 too.
        using var wrapping = new SyntheticRingBuffer(64, startPosition: 24);
        using var plain = new SyntheticRingBuffer(64);
        var names = new List<uint>();
        using var reader = new MergedRingBufferReader([wrapping.Cursor, plain.Cursor], 0, 4,
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
    /// Producers as the kernel's, any CPU's programs in any ring: each reserves (the ring's order), reads the clock some
    /// time later (an interrupt may come between), commits a little after that. Whatever was committed before another
    /// record was reserved must come out before it, whichever rings the two are in.
    /// </summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void Records_committed_before_another_was_reserved_come_out_before_it_however_their_stamps_interleave(int seed)
    {
        var random = new Random(seed);
        var records = new List<Produced>();
        for (ulong t = 0, name = 1; name <= 1500; name++)
        {
            t += (ulong)random.Next(0, 4);
            // Mostly at once; often after a short interrupt; now and then after a long one (longer than the reader's
            // memory of its last rounds).
            int delay = random.Next(100) switch { < 70 => random.Next(0, 3), < 98 => random.Next(0, 60), _ => random.Next(200, 600) };
            ulong stamped = t + (ulong)delay;
            records.Add(new Produced(random.Next(3), t, stamped, stamped + (ulong)random.Next(0, 3)));
        }
        Merge(records, perCpuRings: 0, random);
    }

    /// <summary>
    /// Two CPUs, each with a ring of its own, and a shared ring either writes now and then. On a CPU a program runs to
    /// its end, except for the programs of interrupts that nest in it (here up to two deep), between its reservation
    /// and its clock reading or after that; so a ring of one CPU's may hold records stamped out of its order too.
    /// </summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void Per_CPU_rings_with_nested_programs_keep_every_record_after_those_committed_before_it_was_reserved(int seed)
    {
        var random = new Random(seed);
        var records = new List<Produced>();
        void Program(int cpu, ref ulong t, int depth)
        {
            int ring = random.Next(10) == 0 ? 2 : cpu;
            ulong reserved = ++t;
            if (depth < 2 && random.Next(4) == 0)
            {
                t += (ulong)random.Next(0, 10);
                Program(cpu, ref t, depth + 1);
            }
            t += (ulong)random.Next(0, 3);
            ulong stamped = t;
            if (depth < 2 && random.Next(8) == 0)
                Program(cpu, ref t, depth + 1);
            t += (ulong)random.Next(0, 3);
            records.Add(new Produced(ring, reserved, stamped, t));
        }
        for (int cpu = 0; cpu < 2; cpu++)
        {
            for (ulong t = 0; t < 2000; t += (ulong)random.Next(0, 8))
                Program(cpu, ref t, 0);
        }
        Merge([.. records.OrderBy(r => r.Reserved)], perCpuRings: 2, random);
    }

    public static TheoryData<int> Seeds => [1, 2, 3, 4, 5];

    private readonly record struct Produced(int Ring, ulong Reserved, ulong Stamped, ulong Committed);

    /// <summary>
    /// Writes <paramref name="records"/> (in the order of their reservations) into three rings as time passes, with a
    /// round of the reader at random moments, until all are out; then checks that each came out once, after every
    /// record committed before it was reserved.
    /// </summary>
    private static void Merge(List<Produced> records, int perCpuRings, Random random)
    {
        // Rings large enough for what a long interrupt holds back.
        using SyntheticRingBuffer first = new(64 * 1024), second = new(64 * 1024), third = new(64 * 1024);
        SyntheticRingBuffer[] rings = [first, second, third];
        ulong clock = 0;
        var names = new List<int>();
        using var reader = new MergedRingBufferReader(rings.Select(r => r.Cursor).ToArray(), perCpuRings, TimeOffset,
            record => names.Add((int)BinaryPrimitives.ReadUInt64LittleEndian(record)), () => clock);
        var positions = new ulong[records.Count];
        var committed = new bool[records.Count];
        int reserved = 0;
        for (; names.Count < records.Count; clock += (ulong)random.Next(1, 25))
        {
            // Everything that happened before this round's clock reading: reservations in their order, then commits.
            for (; reserved < records.Count && records[reserved].Reserved < clock; reserved++)
                positions[reserved] = rings[records[reserved].Ring].Reserve(Record((ulong)reserved, records[reserved].Stamped));
            for (int i = 0; i < reserved; i++)
            {
                if (!committed[i] && records[i].Committed < clock)
                {
                    rings[records[i].Ring].Commit(positions[i]);
                    committed[i] = true;
                }
            }
            reader.DrainAll();
            Assert.True(clock < 1_000_000, $"{names.Count} of {records.Count} records out");
        }

        Assert.Equal(Enumerable.Range(0, records.Count), names.Order());
        var order = new int[records.Count];
        for (int i = 0; i < names.Count; i++)
            order[names[i]] = i;
        for (int a = 0; a < records.Count; a++)
        {
            for (int b = 0; b < records.Count; b++)
            {
                if (records[a].Committed < records[b].Reserved)
                    Assert.True(order[a] < order[b], $"record {a} (committed at {records[a].Committed}) came out after {b} (reserved at {records[b].Reserved})");
            }
        }
    }

    /// <summary>A reader that fell behind finds a round far larger than any before: it keeps no memory the size of it
    /// (which would stay, and count in the tool's peak RSS).</summary>
    [Fact]
    public void A_round_far_larger_than_any_before_allocates_nothing()
    {
        using SyntheticRingBuffer first = new(256 * 1024), second = new(256 * 1024);
        long sum = 0;
        using var reader = new MergedRingBufferReader([first.Cursor, second.Cursor], 0, TimeOffset,
            record => sum += (long)BinaryPrimitives.ReadUInt64LittleEndian(record), () => ulong.MaxValue - 1);
        byte[] record = Record(0, 0);
        void Fill(int records)
        {
            for (int i = 0; i < records; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(8), (ulong)i * 2);
                first.Write(record);
                BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(8), (ulong)i * 2 + 1);
                second.Write(record);
            }
        }
        Fill(16);
        Assert.Equal(32, reader.DrainAll());   // warmed up on a small round

        Fill(4096);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int delivered = reader.DrainAll();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(8192, delivered);
        Assert.Equal(0, allocated);
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
