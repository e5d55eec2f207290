using BpfLoader;
using BpfLoader.Features;
using BpfLoader.Maps;
using BpfLoader.Object.Spec;
using BpfLoader.Rings;
using BpfLoader.Tracing;
using TcpStates.Cli;

namespace TcpStates.Tracing;

/// <summary>
/// The kernel side of the tool, loaded and attached: the embedded object with the user's filters compiled
/// in, its programs on sock:inet_sock_set_state (the way the kernel takes, <see cref="TracepointAttachment"/>),
/// the ring its events come through, and what was lost on the way.
/// </summary>
internal sealed class TcpStatesProbe : IDisposable
{
    private const string ObjectName = "tcpstates.bpf.o";
    private const string BtfProgram = "tcpstates_btf";
    /// <summary>Attached after <see cref="BtfProgram"/>: traces the changes the kernel skipped it for (see the program).</summary>
    private const string NestedBtfProgram = "tcpstates_btf_nested";
    private const string TracepointProgram = "tcpstates_tp";
    /// <summary>Attached after <see cref="TracepointProgram"/>: counts the tracepoint's hits on a path of their own (see the program).</summary>
    private const string HitsProgram = "tcpstates_hits";

    /// <summary>Per-CPU rings (cpu_rings, all the program's CPU_RING_MAX): small enough to stay in the caches, with the
    /// shared ring for what one CPU's cannot take.</summary>
    private const uint CpuRingBytes = 256 * 1024;
    /// <summary>Per-CPU rings: the shared ring, for a CPU whose ring is full, and the changes the nested program traces.</summary>
    private const uint OverflowRingBytes = 1024 * 1024;
    /// <summary>How long events may wait while they flow: the read loop drains on this timer.</summary>
    internal const int BusyPollTimeoutMs = 10;
    /// <summary>Perf buffer: how long the first event after a quiet spell may wait (the tool then wakes 10 times a second).</summary>
    internal const int PollTimeoutMs = 100;
    /// <summary>The first wait once events stop, which a record made just as it begins may not cut short.</summary>
    internal const int FirstIdleTimeoutMs = 100;
    /// <summary>Ring buffer: the longest wait of an idle tool (the first record wakes it), for the loss count.</summary>
    internal const int IdleTimeoutMs = 1000;
    private const int PerfPagesPerCpu = 256;   // 1 MiB per CPU where there is no ring buffer

    /// <summary>Whether other CPUs may see this one's stores out of order (all but x86): see weak_memory_order.</summary>
    private static bool WeakMemoryOrder =>
        System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture
            is not (System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.X86);

    private readonly TracepointAttachment _attachment;

    private TcpStatesProbe(TracepointAttachment attachment) => _attachment = attachment;

    /// <summary>The ring the events come through, already receiving: connect it to where they go.</summary>
    public EventRing Events => _attachment.Events!;

    /// <summary>Where events come from, for the debug line: "tp_btf" or "tracepoint", "per-CPU ring buffers", "ring buffer" or "perf buffer".</summary>
    public string Description =>
        (_attachment.Kind == TracepointAttachKind.TpBtf ? "tp_btf" : "tracepoint") + " with "
        + _attachment.RingKind switch
        {
            EventRingKind.RingBuffer => "ring buffer",
            EventRingKind.RingBufferPerCpu => "per-CPU ring buffers",
            _ => "perf buffer",
        };

    /// <summary>What the last <see cref="TakeDrops"/> counted as lost, by cause (for TCPSTATES_DEBUG; formatted on demand,
    /// as the read loop must not allocate).</summary>
    public string LossBreakdown
    {
        get
        {
            LossBreakdown last = _attachment.Losses.Breakdown;
            return $"{last.RingFull} found the ring full; {last.RecursionMisses} skipped by the kernel (a recursion), {last.Caught} of them caught; "
                + (last.HitsCounted is ulong hits ? $"{last.NeverReached} hits never reached the programs, of {hits} counted" : "hits that never reached the programs not counted");
        }
    }

    /// <summary>
    /// Loads and attaches: tp_btf where the kernel has BTF and takes it, else the classic tracepoint;
    /// the ring buffer where the kernel has one, else a perf buffer. TCPSTATES_ATTACH=tracepoint and
    /// TCPSTATES_TRANSPORT=perf force the fallbacks (for tests, and for a kernel that misbehaves).
    /// A fallback the host forces is told in one line through <paramref name="notice"/> (a forced one only
    /// through <paramref name="debug"/>): what is missing, and what the tool does instead.
    /// </summary>
    public static TcpStatesProbe Attach(TcpStatesOptions options, Action<string> debug, Action<string>? notice = null) =>
        Attach(options, debug, notice, CpuRingBytes);

    /// <summary>As <see cref="Attach(TcpStatesOptions, Action{string}, Action{string}?)"/>, with each CPU's ring of <paramref name="cpuRingBytes"/> (tests).</summary>
    internal static TcpStatesProbe Attach(TcpStatesOptions options, Action<string> debug, Action<string>? notice, uint cpuRingBytes)
    {
        notice ??= debug;
        bool tracepointOnly = Environment.GetEnvironmentVariable("TCPSTATES_ATTACH") == "tracepoint";
        if (tracepointOnly) debug("TCPSTATES_ATTACH=tracepoint");
        TracepointAttachment attachment = TracepointAttachment.Attach(new TracepointAttachOptions
        {
            Category = "sock",
            Name = "inet_sock_set_state",
            Spec = ring => Spec(options, ring, cpuRingBytes),
            BtfPrograms = [BtfProgram, NestedBtfProgram],
            // No nested program here: a classic tracepoint skips every program on a CPU already running one.
            TracepointPrograms = [TracepointProgram],
            HitCountProgram = HitsProgram,
            HitCountMap = "hits",
            EventMap = "events",
            PerCpuEventMap = "cpu_rings",
            CpuRingBytes = cpuRingBytes,
            EventTimestampOffset = Output.TcpStateEvent.TimestampOffset,
            // The programs wake the read loop only when it waits on the rings (see TraceSession).
            ReaderWaitingVariable = "reader_waiting",
            // Off x86 the CPU rings are published by atomic exchanges (Linux 5.12).
            ForceSharedRingBuffer = Environment.GetEnvironmentVariable("TCPSTATES_TRANSPORT") == "ring" || (WeakMemoryOrder && !KernelFeatures.HasBpfAtomics),
            RingFullCountMap = "drops",
            CaughtCountMap = "caught",
            CallCountMap = "seen",
            EventRing = new EventRingOptions
            {
                // Mapped once: a 2 MiB ring costs 2 MiB of RSS, not 4 (a wrapping record is copied).
                MapRingBufferDataTwice = false,
                // A perf buffer wakes the reader a quarter full; the read loop drains on its timer. No lost-record handler:
                // the program counts what did not fit, and the kernel's count would repeat it, late.
                PerfRings = new PerfEventRingOptions
                {
                    DataPages = PerfPagesPerCpu,
                    WakeupWatermarkBytes = (uint)(PerfPagesPerCpu * Environment.SystemPageSize / 4),
                },
            },
            ForceTracepoint = tracepointOnly,
            ForcePerfEventArray = Environment.GetEnvironmentVariable("TCPSTATES_TRANSPORT") == "perf",
            BeforeAttach = objects =>
            {
                FillPorts(objects.Maps["sports"], options.LocalPorts);
                FillPorts(objects.Maps["dports"], options.RemotePorts);
            },
        });
        foreach (string line in attachment.Notices) notice(line);
        return new TcpStatesProbe(attachment);
    }

    /// <summary>The embedded object with the user's filters, for events through <paramref name="ring"/>.</summary>
    private static CollectionSpec Spec(TcpStatesOptions options, EventRingKind ring, uint cpuRingBytes)
    {
        bool ringBuffer = ring != EventRingKind.PerfEventArray;
        CollectionSpec spec = CollectionSpec.FromResource(typeof(TcpStatesProbe).Assembly, ObjectName);
        // One ring shared by every CPU keeps its declared size (before Linux 5.12, or TCPSTATES_TRANSPORT=ring).
        if (ring == EventRingKind.RingBufferPerCpu)
            spec.Maps["events"].MaxEntries = OverflowRingBytes;
        spec.SetConstant("ring_per_cpu", ring == EventRingKind.RingBufferPerCpu);
        spec.SetConstant("cpu_ring_bytes", (ulong)cpuRingBytes);
        spec.SetConstant("weak_memory_order", WeakMemoryOrder);
        spec.SetConstant("filter_by_sport", options.LocalPorts.Count > 0);
        spec.SetConstant("filter_by_dport", options.RemotePorts.Count > 0);
        spec.SetConstant("target_family", options.Family);
        spec.SetConstant("target_netns", options.NetNs);
        spec.SetConstant("target_cgroup", options.CgroupId);
        // The plain columns print neither the netns nor the cgroup: the programs skip reading them.
        spec.SetConstant("want_owner", options.Json || options.Containers || options.NetNs != 0 || options.CgroupId != 0);
        spec.SetConstant("use_ringbuf", ringBuffer);
        return spec;
    }

    private static void FillPorts(BpfMap map, IReadOnlySet<ushort> ports)
    {
        foreach (ushort port in ports) map.Update(port, (byte)1);
    }

    /// <summary>
    /// Events lost since the last call (see <see cref="LossCounter"/>): ring full, recursion misses of the main
    /// program less those the nested one caught, and hits of the tracepoint that reached no program; in full
    /// when <paramref name="final"/> (after Detach).
    /// </summary>
    public ulong TakeDrops(bool final = false) => _attachment.Losses.TakeNew(final);

    /// <summary>Stops new events; what is already in the ring stays readable.</summary>
    public void Detach() => _attachment.Detach();

    public void Dispose() => _attachment.Dispose();
}
