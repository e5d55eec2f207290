using BpfLoader.Kernel;
using BpfLoader.Links;
using BpfLoader.Maps;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Uapi;
using BpfLoader.Tests.Kernel;
using BpfLoader.Tracing;

namespace BpfLoader.Tests.Tracing;

/// <summary>The kernel's count of sock:inet_sock_set_state hits, from perf counters or from a counting raw tracepoint.</summary>
[Collection(SetStateTracepointCollection.Name)]
public sealed class TracepointHitCountTests
{
    private const int Connections = 20;

    [KernelFact]
    public void Perf_counters_count_at_least_every_change_of_our_connections_and_stop_counting_when_stopped()
    {
        using var traffic = new TracingObject();
        using TracepointHitCount hits = TracepointHitCount.FromPerfCounter("sock", "inet_sock_set_state");
        traffic.Connect(Connections);
        ulong counted = hits.Read();
        // Each connection changes state at least 2 times on either side (it reaches ESTABLISHED, then leaves it).
        Assert.InRange(counted, (ulong)(4 * Connections), ulong.MaxValue);
        hits.Stop();
        ulong stopped = hits.Read();
        traffic.Connect(Connections);
        Assert.True(hits.IsStopped);
        Assert.Equal(stopped, hits.Read());
    }

    [KernelFact]
    public void A_count_made_from_a_counter_opened_earlier_counts_only_the_hits_after_it_and_closes_the_counter()
    {
        TracepointCounter counter = TracepointCounter.Open("syscalls", "sys_enter_getsid");
        Syscalls.GetSid(1_000);
        using (TracepointHitCount hits = TracepointHitCount.FromPerfCounter(counter))
        {
            Assert.InRange(hits.Read(), 0UL, 50UL);   // whatever else called getsid meanwhile
            Syscalls.GetSid(300);
            Assert.InRange(hits.Read(), 300UL, 350UL);
        }
        Syscalls.GetSid(10);
        Assert.Equal(0UL, counter.Read());   // closed with the count: its perf events are gone
    }

    [KernelFact]
    public void A_counting_raw_tracepoint_counts_every_hit_the_main_program_was_called_for()
    {
        using var traffic = new TracingObject();
        using Collection objects = traffic.Load("on_btf", "count_hits");
        using BpfLink main = objects.Attach("on_btf");
        using BpfLink counter = objects.Attach("count_hits");
        using TracepointHitCount hits = TracepointHitCount.FromProgram(objects.Programs["count_hits"], objects.Maps["hits"]);
        ulong callsBefore = TracingObject.Sum(objects.Maps["calls"]);
        traffic.Connect(Connections);
        ulong counted = hits.Read();
        ulong calls = TracingObject.Sum(objects.Maps["calls"]) - callsBefore;
        Assert.InRange(counted, (ulong)(4 * Connections), ulong.MaxValue);
        // The counter attached after the main program and was made after both: it cannot have counted more
        // hits than the main program was called for since then (less what it missed), give or take the hits
        // of other sockets landing between the two readings.
        Assert.InRange(TracingObject.Sum(objects.Maps["wanted"]), (ulong)(4 * Connections), ulong.MaxValue);
        Assert.True(counted <= calls + 1000, $"{counted} hits counted, {calls} calls");
    }

    [KernelFact]
    public void With_a_classic_program_a_perf_counter_adds_only_the_hits_perf_ran_no_program_for()
    {
        using var traffic = new TracingObject();
        using Collection objects = traffic.Load("on_tp", "count_hits");
        TracepointCounter unrun = TracepointCounter.Open("sock", "inet_sock_set_state");
        BpfLink main = objects.Attach("on_tp");
        try
        {
            using BpfLink counter = objects.Attach("count_hits");
            using TracepointHitCount hits = TracepointHitCount.FromProgram(objects.Programs["count_hits"], objects.Maps["hits"], unrun);
            // The count less what the raw tracepoint counted: the perf counter's part, give or take a constant.
            long Unrun() => (long)hits.Read() - (long)TracingObject.Sum(objects.Maps["hits"])
                - (long)objects.Programs["count_hits"].GetRunStatistics().RecursionMisses;
            long before = Unrun();

            // on_tp runs for each hit and returns 0: perf counts none of them (the raw tracepoint counts them all).
            traffic.Connect(Connections);
            long whileRun = Unrun() - before;
            Assert.True(whileRun < 2 * Connections, $"perf counted {whileRun} hits while the classic program ran for them");

            // Without the classic program perf runs none for the hits, and counts each.
            main.Dispose();
            traffic.Connect(Connections);
            Assert.InRange(Unrun() - before - whileRun, 4L * Connections, long.MaxValue);

            hits.Stop();
            ulong stopped = hits.Read();
            traffic.Connect(Connections);
            Assert.Equal(stopped, hits.Read());
        }
        finally
        {
            main.Dispose();
        }
    }

    [KernelFact]
    public void A_count_map_that_is_not_a_per_CPU_array_of_u64_is_refused_by_name()
    {
        CollectionSpec spec = CollectionSpec.FromResource(typeof(TracingObject).Assembly, "tracing_paths.bpf.o");
        using Collection objects = Collection.Load(spec, new CollectionOptions { Programs = ["count_hits"] });
        using BpfMap wrong = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1, Name = "not_percpu" });
        var e = Assert.Throws<ArgumentException>(() => TracepointHitCount.FromProgram(objects.Programs["count_hits"], wrong));
        Assert.Contains("not_percpu", e.Message, StringComparison.Ordinal);
    }
}
