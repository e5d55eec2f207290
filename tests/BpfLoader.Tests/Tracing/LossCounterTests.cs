using System.Net;
using System.Net.Sockets;
using BpfLoader.Maps;
using BpfLoader.Rings;
using BpfLoader.Tests.Kernel;
using BpfLoader.Tracing;

namespace BpfLoader.Tests.Tracing;

/// <summary>Events lost by cause, on sock:inet_sock_set_state with real connections (tracing_paths.bpf.c).</summary>
[Collection(SetStateTracepointCollection.Name)]
public sealed class LossCounterTests
{
    [KernelFact]
    public void A_ring_made_to_overflow_reports_every_record_it_had_no_room_for_and_only_once_confirmed()
    {
        using var traffic = new TracingObject();
        // One page: ~170 records of 24 bytes, far fewer than 200 connections make.
        using TracepointAttachment attachment = TracepointAttachment.Attach(traffic.Options(ringBytes: (uint)Environment.SystemPageSize));
        RingReader reader = attachment.Events!.Connect(traffic.OnRecord);
        LossCounter losses = attachment.Losses;
        traffic.Connect(200);
        attachment.Detach();

        // The first reading is not confirmed by an earlier one: nothing yet; the second confirms it.
        Assert.Equal(0UL, losses.TakeNew());
        ulong lost = losses.TakeNew();
        LossBreakdown causes = losses.Breakdown;
        reader.DrainAll();
        Assert.True(causes.RingFull > 0, $"the ring never filled: {causes}");
        Assert.Equal(causes.Total, lost);
        Assert.Equal(TracingObject.Sum(attachment.Collection.Maps["drops"]), causes.RingFull);
        // Every change of our sockets was either read or counted as found full.
        Assert.Equal(TracingObject.Sum(attachment.Collection.Maps["wanted"]), (ulong)traffic.Records.Count + causes.RingFull);
        Assert.Equal(0UL, losses.TakeNew(final: true));
    }

    [KernelFact]
    public void Hits_the_main_program_was_never_called_for_are_counted_as_never_reached()
    {
        // The main program's "calls" here are only those for our port: every other change of the host,
        // and those of a second listener's connections, count as hits that never reached it.
        using var traffic = new TracingObject();
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start(64);
        using TracepointAttachment attachment = TracepointAttachment.Attach(traffic.Options() with { CallCountMap = "wanted" });
        RingReader reader = attachment.Events!.Connect(traffic.OnRecord);
        traffic.Connect(10);
        TracingObject.Connect(other, 10);
        attachment.Detach();
        reader.DrainAll();
        ulong lost = attachment.Losses.TakeNew(final: true);
        LossBreakdown causes = attachment.Losses.Breakdown;
        Assert.Equal(attachment.Hits!.Read(), causes.HitsCounted);
        Assert.InRange(causes.NeverReached, 40UL, ulong.MaxValue);
        Assert.Equal(causes.HitsCounted!.Value - (ulong)traffic.Records.Count - causes.RecursionMisses, causes.NeverReached);
        Assert.Equal(causes.Total, lost);
        other.Stop();
    }

    [KernelFact]
    public void Catches_beyond_the_misses_are_hits_only_the_second_program_got_so_they_are_not_lost()
    {
        // As above, with the main program's calls only those for our port; then a second program's count of
        // catches, written here, that exceeds the misses: those hits reached it, not nowhere.
        using var traffic = new TracingObject();
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start(64);
        using TracepointAttachment attachment = TracepointAttachment.Attach(traffic.Options() with { CallCountMap = "wanted", CaughtCountMap = "caught" });
        RingReader reader = attachment.Events!.Connect(traffic.OnRecord);
        traffic.Connect(10);
        TracingObject.Connect(other, 10);
        attachment.Detach();
        reader.DrainAll();
        ulong misses = attachment.MainProgram.GetRunStatistics().RecursionMisses;
        const ulong onlySecond = 25;
        var perCpu = new ulong[BpfMap.PossibleCpuCount];
        perCpu[0] = misses + onlySecond;
        attachment.Collection.Maps["caught"].UpdatePerCpu(0u, (ReadOnlySpan<ulong>)perCpu);

        ulong lost = attachment.Losses.TakeNew(final: true);
        LossBreakdown causes = attachment.Losses.Breakdown;
        Assert.Equal(misses + onlySecond, causes.Caught);
        Assert.Equal(causes.HitsCounted!.Value - (ulong)traffic.Records.Count - misses - onlySecond, causes.NeverReached);
        Assert.Equal(causes.Total, lost);
        other.Stop();
    }

    [KernelFact]
    public void Without_a_hit_count_the_hits_are_not_counted_and_none_is_reported_never_reached()
    {
        using var traffic = new TracingObject();
        using TracepointAttachment attachment = TracepointAttachment.Attach(traffic.Options() with { CountBtfHits = false });
        RingReader reader = attachment.Events!.Connect(traffic.OnRecord);
        traffic.Connect(10);
        attachment.Detach();
        reader.DrainAll();
        Assert.Null(attachment.Hits);
        ulong lost = attachment.Losses.TakeNew(final: true);
        LossBreakdown causes = attachment.Losses.Breakdown;
        Assert.Null(causes.HitsCounted);
        Assert.Equal(0UL, causes.NeverReached);
        Assert.Equal(causes.Total, lost);
        Assert.Equal(2 * 10, traffic.EstablishedRecords);
    }

    [KernelFact]
    public void Reading_the_losses_allocates_nothing()
    {
        using var traffic = new TracingObject();
        using TracepointAttachment attachment = TracepointAttachment.Attach(traffic.Options() with { ForceTracepoint = true });
        attachment.Losses.TakeNew(final: true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) attachment.Losses.TakeNew(final: true);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
