using BpfLoader.Kernel;
using BpfLoader.Object;

namespace BpfLoader.Tests.Kernel;

public class TracepointCounterTests
{
    [KernelFact]
    public void Counts_every_hit_of_a_tracepoint_on_every_CPU()
    {
        using TracepointCounter counter = TracepointCounter.Open("syscalls", "sys_enter_getsid");
        ulong before = counter.Read();
        // From threads that the scheduler spreads over the CPUs.
        Parallel.For(0, 4, _ => Syscalls.GetSid(2_500));
        ulong hits = counter.Read() - before;
        Assert.InRange(hits, 10_000UL, 10_000UL + 100);   // + whatever else called getsid meanwhile
    }

    [KernelFact]
    public void An_unknown_tracepoint_is_an_error_naming_it()
    {
        var e = Assert.ThrowsAny<BpfException>(() => TracepointCounter.Open("sock", "no_such_event"));
        Assert.Contains("no_such_event", e.Message, StringComparison.Ordinal);
    }
}
