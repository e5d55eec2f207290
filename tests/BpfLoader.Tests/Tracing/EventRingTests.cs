using BpfLoader.Maps;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Uapi;
using BpfLoader.Rings;
using BpfLoader.Tests.Attach;
using BpfLoader.Tests.Kernel;
using BpfLoader.Tracing;

namespace BpfLoader.Tests.Tracing;

/// <summary>A ring buffer, or the perf event array it becomes: the map reshaped before load and read by the matching reader.</summary>
public sealed class EventRingTests
{
    private const int Connections = 20;

    private static CollectionSpec Spec() => CollectionSpec.FromResource(typeof(EventRingTests).Assembly, "tracing_paths.bpf.o");

    [Fact]
    public void Shaped_as_a_perf_event_array_the_map_takes_u32_keys_and_values_and_one_entry_per_CPU()
    {
        MapSpec events = Spec().Maps["events"];
        EventRing.Shape(events, EventRingKind.PerfEventArray);
        Assert.Equal((BpfMapType.PerfEventArray, 4u, 4u, 0u), (events.Type, events.KeySize, events.ValueSize, events.MaxEntries));
    }

    [Fact]
    public void Shaped_as_a_ring_buffer_the_map_stays_as_declared_and_a_map_of_another_type_is_refused()
    {
        CollectionSpec spec = Spec();
        MapSpec events = spec.Maps["events"];
        EventRing.Shape(events, EventRingKind.RingBuffer);
        Assert.Equal((BpfMapType.Ringbuf, 1u << 16), (events.Type, events.MaxEntries));
        var e = Assert.Throws<ArgumentException>(() => EventRing.Shape(spec.Maps["calls"], EventRingKind.RingBuffer));
        Assert.Contains("calls", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forced_to_a_perf_event_array_it_says_no_fallback_reason()
    {
        Assert.Equal(EventRingKind.PerfEventArray, EventRing.ChooseKind(forcePerfEventArray: true, out string? reason));
        Assert.Null(reason);
    }

    [KernelFact]
    public void This_kernel_has_a_ring_buffer_so_it_is_chosen_with_no_fallback_reason()
    {
        Assert.Equal(EventRingKind.RingBuffer, EventRing.ChooseKind(forcePerfEventArray: false, out string? reason));
        Assert.Null(reason);
    }

    [KernelTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Records_written_before_Connect_wait_in_the_ring_and_are_all_read_after_it(bool perfEventArray)
    {
        using var traffic = new TracingObject();
        using TracepointAttachment attachment = TracepointAttachment.Attach(traffic.Options() with { ForcePerfEventArray = perfEventArray });
        Assert.Equal(perfEventArray ? EventRingKind.PerfEventArray : EventRingKind.RingBuffer, attachment.Events!.Kind);
        Assert.Equal(perfEventArray ? BpfMapType.PerfEventArray : BpfMapType.Ringbuf, attachment.Collection.Maps["events"].Type);
        traffic.Connect(Connections);
        attachment.Detach();
        RingReader reader = attachment.Events.Connect(traffic.OnRecord);
        reader.DrainAll();
        Assert.Equal(2 * Connections, traffic.EstablishedRecords);
        Assert.Equal(0UL, TracingObject.Sum(attachment.Collection.Maps["drops"]));
        Assert.Equal(TracingObject.Sum(attachment.Collection.Maps["wanted"]), (ulong)traffic.Records.Count);
    }

    [KernelFact]
    public void A_map_that_is_neither_ring_is_refused_by_name()
    {
        using BpfMap array = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Array, KeySize = 4, ValueSize = 4, MaxEntries = 1, Name = "not_events" });
        var e = Assert.Throws<ArgumentException>(() => EventRing.Open(array));
        Assert.Contains("not_events", e.Message, StringComparison.Ordinal);
    }
}
