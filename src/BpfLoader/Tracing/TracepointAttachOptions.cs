using BpfLoader.Object.Spec;

namespace BpfLoader.Tracing;

/// <summary>
/// What <see cref="TracepointAttachment.Attach"/> loads and attaches: the caller's object, which carries programs for
/// both ways onto one tracepoint, and the names of its programs and maps for each way.
/// </summary>
public sealed record TracepointAttachOptions
{
    /// <summary>The tracepoint's category (tracefs events/CATEGORY/NAME), such as <c>sock</c>.</summary>
    public required string Category { get; init; }

    /// <summary>The tracepoint's name, such as <c>inet_sock_set_state</c>.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// Makes the object's spec for one attempt, its constants set for the event ring's kind (the program chooses
    /// between <c>bpf_ringbuf_*</c> and <c>bpf_perf_event_output</c> by a constant the caller owns). Called once per
    /// attempt: each attempt loads a fresh collection. <see cref="EventMap"/> is reshaped after this returns.
    /// </summary>
    public required Func<EventRingKind, CollectionSpec> Spec { get; init; }

    /// <summary>The tp_btf programs, in the order they attach (the kernel runs them in that order); the first is the main one. Empty: tp_btf is not tried.</summary>
    public IReadOnlyList<string> BtfPrograms { get; init; } = [];

    /// <summary>The classic tracepoint programs, in attach order; the first is the main one. Required.</summary>
    public required IReadOnlyList<string> TracepointPrograms { get; init; }

    /// <summary>
    /// Classic path only: a raw tracepoint program on the same tracepoint that counts its hits in
    /// <see cref="HitCountMap"/>, with a perf counter for the hits the kernel ran no program for (see
    /// <see cref="TracepointHitCount.FromProgram(BpfLoader.Programs.BpfProgram, BpfLoader.Maps.BpfMap, BpfLoader.Kernel.TracepointCounter?)"/>);
    /// attached after the others. Where it does not load or attach, the tracepoint is attached without it and a
    /// notice says so. Null: no hit count there.
    /// </summary>
    public string? HitCountProgram { get; init; }

    /// <summary>The per-CPU array <see cref="HitCountProgram"/> counts in.</summary>
    public string? HitCountMap { get; init; }

    /// <summary>tp_btf path only: count the hits with the kernel's perf counters (<see cref="TracepointHitCount.FromPerfCounter(string, string)"/>).</summary>
    public bool CountBtfHits { get; init; } = true;

    /// <summary>The ring buffer map the programs send events through, reshaped and opened as an <see cref="EventRing"/>; null for none.</summary>
    public string? EventMap { get; init; }

    /// <summary>
    /// An ARRAY_OF_MAPS of ring buffers in which the programs look up their CPU's ring, falling back to <see cref="EventMap"/>
    /// where they find none (see <see cref="EventRing.Shape(MapSpec, MapSpec, EventRingKind)"/>); used where the kernel
    /// takes it, each record then carrying its <c>bpf_ktime_get_ns()</c> time at <see cref="EventTimestampOffset"/>. Null:
    /// one ring buffer shared by every CPU.
    /// </summary>
    public string? PerCpuEventMap { get; init; }

    /// <summary>With a <see cref="PerCpuEventMap"/> that is an array of rings (<see cref="Rings.RingArray"/>): the bytes of
    /// each ring the programs use (a power of two); null for all a value holds.</summary>
    public uint? CpuRingBytes { get; init; }

    /// <summary>With <see cref="PerCpuEventMap"/>: where each record keeps the u64 time it was made, read after its reservation.</summary>
    public int EventTimestampOffset { get; init; }

    /// <summary>With <see cref="PerCpuEventMap"/>: use the one shared ring buffer even where the kernel takes per-CPU rings.</summary>
    public bool ForceSharedRingBuffer { get; init; }

    /// <summary>How the event ring is mapped and read.</summary>
    public EventRingOptions? EventRing { get; init; }

    /// <summary>
    /// A u32 global of the programs by which they wake the reader of a ring buffer only while it waits (see
    /// <see cref="Tracing.EventRing.UseWakeupFlag"/>); null: the kernel wakes it for the first record into each empty ring.
    /// </summary>
    public string? ReaderWaitingVariable { get; init; }

    /// <summary>Skip tp_btf and attach the classic tracepoint (for tests, and for a kernel whose tp_btf misbehaves).</summary>
    public bool ForceTracepoint { get; init; }

    /// <summary>Read events through a perf event array even where the kernel has a ring buffer.</summary>
    public bool ForcePerfEventArray { get; init; }

    /// <summary>Called with each loaded collection before anything attaches, to fill its maps (filters, settings).</summary>
    public Action<Collection>? BeforeAttach { get; init; }

    /// <summary>The per-CPU array the programs count the events they found no room for in (see <see cref="LossCounter"/>); null if none.</summary>
    public string? RingFullCountMap { get; init; }

    /// <summary>The per-CPU array a second program counts the main program's misses it traced in; null if none.</summary>
    public string? CaughtCountMap { get; init; }

    /// <summary>The per-CPU array the main program counts its calls in; with a hit count, it tells the hits that reached no program.</summary>
    public string? CallCountMap { get; init; }
}
