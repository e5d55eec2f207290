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
        probe.Events.PlaceCpuRings();
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
        Assert.True(records.Count >= 4000, $"{records.Count} records");
        // Each socket's changes come in the order they were made, across the CPUs' rings and the shared one: their times
        // rise, and each starts where the one before ended (an address freed at CLOSE may come back as a new socket's).
        const int close = 7;
        foreach (var socket in records.GroupBy(r => r.Socket))
        {
            Assert.All(socket.Zip(socket.Skip(1)), pair => Assert.True(pair.First.Time < pair.Second.Time, $"socket {socket.Key:x}: {pair.Second.Time} after {pair.First.Time}"));
            Assert.All(socket.Zip(socket.Skip(1)).Where(pair => pair.First.New != close), pair => Assert.Equal(pair.First.New, pair.Second.Old));
        }
        Assert.True(port > 0);
    }
}
