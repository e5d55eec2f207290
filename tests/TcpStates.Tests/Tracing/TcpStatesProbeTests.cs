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

    [Theory]
    [InlineData(1, 2048)]
    [InlineData(2, 1024)]
    [InlineData(3, 512)]
    [InlineData(4, 512)]
    [InlineData(8, 256)]
    [InlineData(64, 256)]
    public void Each_CPUs_ring_is_a_share_of_2_MiB_a_power_of_two_from_256_KiB(int cpus, int kib) =>
        Assert.Equal((uint)kib * 1024, TcpStatesProbe.CpuRingBytes(cpus));
}
