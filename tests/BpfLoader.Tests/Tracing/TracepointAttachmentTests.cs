using BpfLoader.Maps;
using BpfLoader.Object;
using BpfLoader.Rings;
using BpfLoader.Tests.Kernel;
using BpfLoader.Tracing;

namespace BpfLoader.Tests.Tracing;

/// <summary>Attach with fallback on sock:inet_sock_set_state, with real loopback connections (tracing_paths.bpf.c).</summary>
[Collection(SetStateTracepointCollection.Name)]
public sealed class TracepointAttachmentTests
{
    private const int Connections = 20;

    private static void Trace(TracingObject traffic, TracepointAttachment attachment)
    {
        RingReader reader = attachment.Events!.Connect(traffic.OnRecord);
        traffic.Connect(Connections);
        reader.DrainAll();
    }

    [KernelFact]
    public void Takes_tp_btf_where_the_kernel_has_it_and_delivers_the_events()
    {
        using var traffic = new TracingObject();
        using TracepointAttachment attachment = TracepointAttachment.Attach(traffic.Options());
        Trace(traffic, attachment);
        Assert.Equal(TracepointAttachKind.TpBtf, attachment.Kind);
        Assert.Equal(EventRingKind.RingBuffer, attachment.RingKind);
        Assert.Empty(attachment.Notices);
        Assert.Null(attachment.FallbackReason);
        Assert.NotNull(attachment.Hits);
        Assert.Equal(new[] { "on_btf" }, attachment.Collection.Programs.Keys);
        Assert.Equal(2 * Connections, traffic.EstablishedRecords);
    }

    [KernelFact]
    public void Forced_to_the_classic_tracepoint_it_attaches_there_with_its_hit_counting_program()
    {
        using var traffic = new TracingObject();
        using TracepointAttachment attachment = TracepointAttachment.Attach(traffic.Options() with { ForceTracepoint = true });
        Trace(traffic, attachment);
        Assert.Equal(TracepointAttachKind.Tracepoint, attachment.Kind);
        Assert.Empty(attachment.Notices);   // forced by the caller: nothing the host lacks
        Assert.Null(attachment.FallbackReason);
        Assert.Equal(new[] { "count_hits", "on_tp" }, attachment.Collection.Programs.Keys.Order());
        Assert.Equal(2 * Connections, traffic.EstablishedRecords);
        Assert.InRange(attachment.Hits!.Read(), (ulong)(2 * Connections), ulong.MaxValue);
    }

    [KernelFact]
    public void Where_tp_btf_does_not_load_it_falls_back_to_the_classic_tracepoint_and_says_why()
    {
        using var traffic = new TracingObject();
        using TracepointAttachment attachment = TracepointAttachment.Attach(traffic.Options() with { BtfPrograms = ["on_btf_missing"] });
        Trace(traffic, attachment);
        Assert.Equal(TracepointAttachKind.Tracepoint, attachment.Kind);
        Assert.StartsWith("tp_btf did not load or attach, using the classic tracepoint: ", attachment.FallbackReason, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', attachment.FallbackReason!);
        Assert.Equal(new[] { attachment.FallbackReason! }, attachment.Notices);
        Assert.Equal(2 * Connections, traffic.EstablishedRecords);
    }

    [KernelFact]
    public void Where_the_hit_counting_program_does_not_attach_the_tracepoint_is_attached_without_it_and_a_notice_says_so()
    {
        using var traffic = new TracingObject();
        using TracepointAttachment attachment = TracepointAttachment.Attach(traffic.Options() with
        {
            ForceTracepoint = true,
            HitCountProgram = "count_hits_missing",
        });
        Trace(traffic, attachment);
        Assert.Equal(TracepointAttachKind.Tracepoint, attachment.Kind);
        Assert.Null(attachment.Hits);
        Assert.StartsWith("no raw tracepoint to count the tracepoint's hits", Assert.Single(attachment.Notices), StringComparison.Ordinal);
        Assert.Equal(new[] { "on_tp" }, attachment.Collection.Programs.Keys);
        Assert.Equal(2 * Connections, traffic.EstablishedRecords);
    }

    [KernelFact]
    public void Where_the_classic_tracepoint_fails_too_its_error_is_thrown()
    {
        using var traffic = new TracingObject();
        var e = Assert.ThrowsAny<BpfException>(() => TracepointAttachment.Attach(traffic.Options() with
        {
            BtfPrograms = ["on_btf_missing"],
            TracepointPrograms = ["on_tp_missing"],
        }));
        Assert.Contains("no_such_tracepoint_for_tests", e.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public void An_event_map_none_of_the_programs_uses_is_an_error_naming_it()
    {
        using var traffic = new TracingObject();
        var e = Assert.ThrowsAny<BpfException>(() => TracepointAttachment.Attach(traffic.Options() with
        {
            ForceTracepoint = true,
            TracepointPrograms = ["count_hits_missing"],
            HitCountProgram = null,
        }));
        Assert.Contains("map 'events' was not created", e.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Detach_stops_the_events_and_the_hit_count_and_keeps_what_the_ring_holds()
    {
        using var traffic = new TracingObject();
        using TracepointAttachment attachment = TracepointAttachment.Attach(traffic.Options());
        RingReader reader = attachment.Events!.Connect(traffic.OnRecord);
        traffic.Connect(Connections);
        attachment.Detach();
        ulong hits = attachment.Hits!.Read();
        BpfMap calls = attachment.Collection.Maps["calls"];
        ulong called = TracingObject.Sum(calls);
        traffic.Connect(Connections);
        reader.DrainAll();
        Assert.Equal(2 * Connections, traffic.EstablishedRecords);
        Assert.True(attachment.Hits.IsStopped);
        Assert.Equal(hits, attachment.Hits.Read());
        Assert.Equal(called, TracingObject.Sum(calls));
        Assert.InRange(hits, (ulong)(2 * Connections), ulong.MaxValue);
    }
}
