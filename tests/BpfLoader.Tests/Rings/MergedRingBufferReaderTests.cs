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
    public void A_busy_record_found_mid_round_bounds_the_round_by_the_record_before_it_in_its_ring()
    {
        Write(0, 1, 100);
        ulong busy = _rings[0].Reserve(Record(3, 400));
        Write(1, 2, 200);
        Write(1, 4, 500);

        // Ring 0 was never seen empty, but its busy record was written after record 1 (time 100) on the same CPU.
        Assert.Equal(1, _reader.DrainAll());
        Assert.Equal([1UL], _names);

        _rings[0].Commit(busy);
        Assert.Equal(3, _reader.DrainAll());
        Assert.Equal([1UL, 2, 3, 4], _names);
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
        var expected = new List<ulong>();
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
