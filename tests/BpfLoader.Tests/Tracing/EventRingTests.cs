using BpfLoader.Features;
using BpfLoader.Kernel;
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

    /// <summary>Rings in an array are memory from the start, all mapped: one per CPU up to the last online, not per possible
    /// CPU (hosts list hundreds they never bring online); otherwise one, which the program does not write.</summary>
    [Fact]
    public void Shaped_for_per_CPU_rings_an_array_of_rings_gets_an_element_per_CPU_up_to_the_last_online_and_otherwise_one()
    {
        static MapSpec Rings() => new("cpu_rings", BpfMapType.Array, 4, (uint)(RingArray.DataOffset + 4096), 1) { Flags = (uint)MapFlags.Mmapable };
        CollectionSpec spec = Spec();
        MapSpec rings = Rings();
        EventRing.Shape(spec.Maps["events"], rings, EventRingKind.RingBufferPerCpu);
        Assert.Equal((uint)(CpuList.OnlinePossible().Cpus[^1] + 1), rings.MaxEntries);
        Assert.Equal(BpfMapType.Ringbuf, spec.Maps["events"].Type);

        foreach (EventRingKind kind in new[] { EventRingKind.RingBuffer, EventRingKind.PerfEventArray })
        {
            spec = Spec();
            rings = Rings();
            EventRing.Shape(spec.Maps["events"], rings, kind);
            Assert.Equal((BpfMapType.Array, 1u), (rings.Type, rings.MaxEntries));
            Assert.Equal(kind == EventRingKind.RingBuffer ? BpfMapType.Ringbuf : BpfMapType.PerfEventArray, spec.Maps["events"].Type);
        }
    }

    [Fact]
    public void Shaped_for_per_CPU_rings_the_map_of_rings_gets_a_slot_per_possible_CPU_and_otherwise_one_slot_of_arrays()
    {
        CollectionSpec spec = Spec();
        EventRing.Shape(spec.Maps["events"], spec.Maps["cpu_events"], EventRingKind.RingBufferPerCpu);
        Assert.Equal((uint)(CpuList.Possible().Cpus[^1] + 1), spec.Maps["cpu_events"].MaxEntries);
        Assert.Equal((BpfMapType.Ringbuf, (uint)Environment.SystemPageSize), (spec.Maps["cpu_events"].InnerMap!.Type, spec.Maps["cpu_events"].InnerMap!.MaxEntries));
        Assert.Equal(BpfMapType.Ringbuf, spec.Maps["events"].Type);

        foreach (EventRingKind kind in new[] { EventRingKind.RingBuffer, EventRingKind.PerfEventArray })
        {
            spec = Spec();
            EventRing.Shape(spec.Maps["events"], spec.Maps["cpu_events"], kind);
            Assert.Equal(1u, spec.Maps["cpu_events"].MaxEntries);
            Assert.Equal(BpfMapType.Array, spec.Maps["cpu_events"].InnerMap!.Type);   // a kernel without ring buffers in maps of maps takes it
            Assert.Equal(kind == EventRingKind.RingBuffer ? BpfMapType.Ringbuf : BpfMapType.PerfEventArray, spec.Maps["events"].Type);
        }
        var e = Assert.Throws<ArgumentException>(() => EventRing.Shape(spec.Maps["events"], spec.Maps["calls"], EventRingKind.RingBufferPerCpu));
        Assert.Contains("calls", e.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public void This_kernel_holds_ring_buffers_in_a_map_of_maps_so_per_CPU_rings_are_chosen_when_preferred()
    {
        Assert.True(KernelFeatures.HasRingBufferMapOfMaps);
        Assert.Equal(EventRingKind.RingBufferPerCpu, EventRing.ChooseKind(EventRingKind.RingBufferPerCpu, out string? reason));
        Assert.Null(reason);
        Assert.Equal(EventRingKind.RingBuffer, EventRing.ChooseKind(EventRingKind.RingBuffer, out _));
    }

    /// <summary>
    /// Connections from two threads at once, so that both CPUs write their own rings: every record comes out, each stamped
    /// between two readings of <see cref="BpfClock"/> (the clock the programs read), each socket's in the order of those stamps.
    /// </summary>
    [KernelFact]
    public void Per_CPU_rings_deliver_every_record_and_each_sockets_in_the_order_of_their_times_on_the_programs_clock()
    {
        const int perThread = 200;
        using var traffic = new TracingObject();
        ulong before = BpfClock.NowNs();
        using TracepointAttachment attachment = TracepointAttachment.Attach(traffic.Options(perCpu: true));
        Assert.Equal(EventRingKind.RingBufferPerCpu, attachment.Events!.Kind);
        BpfMap slots = attachment.Collection.Maps["cpu_events"];
        IReadOnlyList<int> cpus = CpuList.OnlinePossible().Cpus;
        RingReader reader = attachment.Events.Connect(traffic.OnRecord);

        // Before the rings are in their slots, every CPU writes the shared ring; then each its own: one read.
        Assert.All(cpus, cpu => Assert.False(slots.TryLookup((uint)cpu, out uint _), $"CPU {cpu}'s slot filled before its turn"));
        traffic.Connect(10);
        Assert.Equal(cpus.Count > 1, attachment.Events.PlaceNextCpuRing());
        attachment.Events.PlaceCpuRings();
        Assert.False(attachment.Events.PlaceNextCpuRing());
        Assert.All(cpus, cpu => Assert.True(slots.TryLookup((uint)cpu, out uint ringId) && ringId != 0, $"CPU {cpu} has no ring"));
        // Each thread on a CPU of its own (loopback traffic changes its states on the sender's CPU), so both rings fill.
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() =>
        {
            using var pin = new ThreadPin(cpus[i % cpus.Count]);
            traffic.Connect(perThread);
        })).ToList();
        threads.ForEach(t => t.Start());
        while (threads.Any(t => t.IsAlive))
            reader.DrainAll();   // merging while both CPUs write
        attachment.Detach();
        reader.DrainAll();
        ulong after = BpfClock.NowNs();

        Assert.Equal(0UL, TracingObject.Sum(attachment.Collection.Maps["drops"]));
        Assert.Equal(2 * (10 + 2 * perThread), traffic.EstablishedRecords);
        Assert.Equal(TracingObject.Sum(attachment.Collection.Maps["wanted"]), (ulong)traffic.Records.Count);
        Assert.All(traffic.Records, r => Assert.InRange(r.Time, before, after));
        // Each socket's records (one end of a connection: its two ports) in the order they were made, whichever ring
        // took them. Not the listener's, nor a client's before it has its port (SYN_SENT): those ports name no one socket.
        foreach (var socket in traffic.Records.Where(r => r.Sport != 0 && r.Dport != 0).GroupBy(r => (r.Sport, r.Dport)))
            Assert.All(socket.Zip(socket.Skip(1)), pair => Assert.True(pair.First.Time <= pair.Second.Time, $"{socket.Key}: {pair.Second.Time} after {pair.First.Time}"));
        if (cpus.Count > 1)
        {
            var perCpu = new ulong[BpfMap.PossibleCpuCount];
            Assert.True(attachment.Collection.Maps["wanted"].TryLookupPerCpu(0u, perCpu.AsSpan()));
            Assert.True(perCpu.Count(n => n > 0) > 1, "the records were all written on one CPU: " + string.Join(",", perCpu));
        }
    }

    [KernelFact]
    public void A_map_that_is_neither_ring_is_refused_by_name()
    {
        using BpfMap array = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Array, KeySize = 4, ValueSize = 4, MaxEntries = 1, Name = "not_events" });
        var e = Assert.Throws<ArgumentException>(() => EventRing.Open(array));
        Assert.Contains("not_events", e.Message, StringComparison.Ordinal);
    }
}
