using TcpStates.Cli;
using TcpStates.Output;
using TcpStates.Tests.EndToEnd;
using TcpStates.Tracing;

namespace TcpStates.Tests.Tracing;

/// <summary>The probe in this process (the end-to-end tests run it in the published binary).</summary>
[Collection("tracer")]
public sealed class TcpStatesProbeTests
{
    [KernelFact]
    public void Polling_for_losses_allocates_nothing()
    {
        // The read loop asks after every batch; garbage there grows the heap, and the tool's RSS with it.
        using TcpStatesProbe probe = TcpStatesProbe.Attach(new TcpStatesOptions(), _ => { });
        probe.TakeDrops();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) probe.TakeDrops();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Contains("found the ring full", probe.LossBreakdown, StringComparison.Ordinal);
    }

    /// <summary>
    /// A CPU whose own ring is full writes the shared one: with rings of a page each and nothing read while 400
    /// connections churn (~4,000 changes, ~250 KB of records), every change is still there, in each socket's order.
    /// </summary>
    [KernelFact]
    public void What_a_full_CPU_ring_cannot_take_goes_to_the_shared_ring_and_is_read_in_order()
    {
        var records = new List<(ulong Socket, ulong Time, int Old, int New)>();
        using TcpStatesProbe probe = TcpStatesProbe.Attach(new TcpStatesOptions(), _ => { }, null, (uint)Environment.SystemPageSize);
        Assert.Equal(BpfLoader.Tracing.EventRingKind.RingBufferPerCpu, probe.Events.Kind);
        BpfLoader.Rings.RingReader reader = probe.Events.Connect(record =>
        {
            var e = record.Length == TcpStateEvent.Size
                ? System.Runtime.InteropServices.MemoryMarshal.Read<TcpStateEvent>(record)
                : System.Runtime.InteropServices.MemoryMarshal.Read<Ipv4TcpStateEvent>(record).Expand(TcpStateEvent.DeltaByReader);
            records.Add((e.SkAddr, e.TimestampNs, e.OldState, e.NewState));
        });
        int port = Traffic.Churn(System.Net.IPAddress.Loopback, 400, clients: 2);
        probe.Detach();
        reader.DrainAll();

        Assert.Equal(0UL, probe.TakeDrops(final: true));
        AssertEverySocketInOrder(records);
        Assert.True(port > 0);
    }

    /// <summary>
    /// At least the churn's changes (400 connections: ~4,000), and each socket's in the order they were made, across the
    /// CPUs' rings and the shared one: their times rise, and each starts where the one before ended (an address freed at
    /// CLOSE may come back as a new socket's).
    /// </summary>
    private static void AssertEverySocketInOrder(List<(ulong Socket, ulong Time, int Old, int New)> records)
    {
        Assert.True(records.Count >= 4000, $"{records.Count} records");
        const int close = 7;
        foreach (var socket in records.GroupBy(r => r.Socket))
        {
            Assert.All(socket.Zip(socket.Skip(1)), pair => Assert.True(pair.First.Time < pair.Second.Time, $"socket {socket.Key:x}: {pair.Second.Time} after {pair.First.Time}"));
            Assert.All(socket.Zip(socket.Skip(1)).Where(pair => pair.First.New != close), pair => Assert.Equal(pair.First.New, pair.Second.Old));
        }
    }

    /// <summary>
    /// Full records (104 bytes, as -j writes: 112 with the header) do not divide a CPU's ring: where the rest of the ring
    /// cannot take one, the program discards the rest and starts over. Rings of a page, read while 400 connections churn:
    /// every change comes out, in each socket's order, none lost.
    /// </summary>
    [KernelFact]
    public void Records_that_do_not_divide_a_CPU_ring_wrap_with_the_rest_discarded_and_all_come_out()
    {
        var records = new List<(ulong Socket, ulong Time, int Old, int New)>();
        using TcpStatesProbe probe = TcpStatesProbe.Attach(new TcpStatesOptions { Json = true }, _ => { }, null, (uint)Environment.SystemPageSize);
        Assert.Equal(BpfLoader.Tracing.EventRingKind.RingBufferPerCpu, probe.Events.Kind);
        BpfLoader.Rings.RingReader reader = probe.Events.Connect(record =>
        {
            Assert.Equal(TcpStateEvent.Size, record.Length);
            var e = System.Runtime.InteropServices.MemoryMarshal.Read<TcpStateEvent>(record);
            records.Add((e.SkAddr, e.TimestampNs, e.OldState, e.NewState));
        });
        using var stop = new CancellationTokenSource();
        var draining = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                reader.DrainAll();
                Thread.Sleep(1);
            }
        });
        draining.Start();
        int port = Traffic.Churn(System.Net.IPAddress.Loopback, 400, clients: 2);
        stop.Cancel();
        draining.Join();
        probe.Detach();
        reader.DrainToEnd(TimeSpan.FromSeconds(5));

        Assert.Equal(0UL, probe.TakeDrops(final: true));
        AssertEverySocketInOrder(records);
        Assert.True(port > 0);
    }

    /// <summary>
    /// While the read loop drains on its timer, records raise no wakeup: the kernel's own rule (the first record into an
    /// empty ring) is an interrupt raised inside the program after every drain, for a reader not waiting on the rings.
    /// </summary>
    [KernelFact]
    public void Records_do_not_wake_a_reader_that_is_not_waiting()
    {
        using var polled = new PolledProbe();
        polled.Reader.DrainAll();
        polled.Poller.Poll(50);   // takes what came meanwhile and any readiness left from before

        Traffic.OneConnection(System.Net.IPAddress.Loopback, TimeSpan.Zero);
        int woken = polled.Poller.Poll(300);
        Assert.False(polled.Probe.Events.PrepareToWait(exact: false));   // the records are there: no waiting for them
        polled.Probe.Events.EndWait();
        polled.Reader.DrainAll();

        Assert.Equal(0, woken);
        Assert.True(polled.Records >= 8, $"{polled.Records} records");
    }

    /// <summary>The probe in its default mode, its records counted as read, with a poller over them.</summary>
    private sealed class PolledProbe : IDisposable
    {
        public PolledProbe()
        {
            Probe = TcpStatesProbe.Attach(new TcpStatesOptions(), _ => { });
            Reader = Probe.Events.Connect(_ => Records++);
            Poller.Add(Reader);
        }

        public TcpStatesProbe Probe { get; }
        public BpfLoader.Rings.RingReader Reader { get; }
        public BpfLoader.Rings.RingPoller Poller { get; } = new();
        public int Records { get; set; }

        public void Dispose()
        {
            Poller.Dispose();
            Probe.Dispose();
        }
    }

    /// <summary>A reader that waits (PrepareToWait) is woken by the first record: an idle tool prints the first change at once.</summary>
    [KernelFact]
    public void The_first_record_wakes_a_waiting_reader()
    {
        using var polled = new PolledProbe();
        bool empty = false;
        for (int i = 0; i < 20 && !empty; i++)
        {
            polled.Reader.DrainAll();
            polled.Poller.Poll(50);
            empty = polled.Probe.Events.PrepareToWait(exact: true);   // false while other traffic of the host is in the rings
        }
        Assert.True(empty, "the rings never stayed empty");
        polled.Records = 0;

        Traffic.OneConnection(System.Net.IPAddress.Loopback, TimeSpan.Zero);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        polled.Poller.Poll(30_000);
        TimeSpan waited = clock.Elapsed;
        polled.Probe.Events.EndWait();
        polled.Reader.DrainAll();

        Assert.True(waited < TimeSpan.FromSeconds(20), $"not woken: waited {waited}");
        Assert.True(polled.Records >= 8, $"{polled.Records} records");
    }
}
