using TcpStates.Cli;
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
}
