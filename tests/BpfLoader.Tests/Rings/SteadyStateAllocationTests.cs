namespace BpfLoader.Tests.Rings;

/// <summary>Consuming records allocates nothing: rings pre-filled once and read again and again.</summary>
public class SteadyStateAllocationTests
{
    private const int Records = 100_000;
    private const int EventSize = 96;   // the tcpstates event
    private long _bytesSeen;

    private void OnRecord(ReadOnlySpan<byte> record) => _bytesSeen += record.Length;

    [Fact]
    public void Reading_a_perf_ring_allocates_nothing_per_record()
    {
        // Starting just before the end, so every pass reassembles a wrapped record too.
        using var ring = new SyntheticPerfRing(64 * 1024, startPosition: 64 * 1024 - 40);
        ulong start = ring.Tail;
        ring.WriteLost(1);
        while (ring.TryWriteSample(NumberedPayload.Make(0, EventSize))) { }
        ring.Publish();
        BpfLoader.Rings.RecordHandler onRecord = OnRecord;
        BpfLoader.Rings.LostRecordsHandler onLost = (_, _) => { };
        int perPass = ring.Cursor.Drain(onRecord, onLost);   // warm-up: JIT, the reassembly buffer
        Assert.True(perPass > 500);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int delivered = 0;
        while (delivered < Records)
        {
            ring.Rewind(start);
            delivered += ring.Cursor.Drain(onRecord, onLost);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal((long)(delivered + perPass) * EventSize, _bytesSeen);
    }

    [Fact]
    public void Reading_a_ring_buffer_allocates_nothing_per_record()
    {
        using var ring = new SyntheticRingBuffer(64 * 1024, startPosition: 64 * 1024 - 40);
        ulong start = ring.Consumer;
        while (ring.TryWrite(NumberedPayload.Make(0, EventSize))) { }
        BpfLoader.Rings.RecordHandler onRecord = OnRecord;
        int perPass = ring.Cursor.Drain(onRecord);
        Assert.True(perPass > 500);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int delivered = 0;
        while (delivered < Records)
        {
            ring.Rewind(start);
            delivered += ring.Cursor.Drain(onRecord);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal((long)(delivered + perPass) * EventSize, _bytesSeen);
    }

    [Fact]
    public void Merging_ring_buffers_allocates_nothing_per_record()
    {
        // Two rings, one starting just before its end (a wrapped record each pass), records alternating by time.
        using var first = new SyntheticRingBuffer(64 * 1024, startPosition: 64 * 1024 - 40);
        using var second = new SyntheticRingBuffer(64 * 1024);
        ulong firstStart = first.Consumer, secondStart = second.Consumer, time = 0;
        byte[] record = NumberedPayload.Make(0, EventSize);
        for (bool more = true; more; )
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(8), ++time);
            more = (time % 2 == 0 ? second : first).TryWrite(record);
        }
        var merge = new BpfLoader.Rings.MergedRingBufferReader([first.Cursor, second.Cursor], 2, 8, OnRecord, () => ulong.MaxValue);
        int perPass = merge.DrainAll();
        Assert.True(perPass > 1000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int delivered = 0;
        while (delivered < Records)
        {
            first.Rewind(firstStart);
            second.Rewind(secondStart);
            delivered += merge.DrainAll();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal((long)(delivered + perPass) * EventSize, _bytesSeen);
    }
}
