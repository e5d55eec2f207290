using System.Diagnostics;
using BpfLoader;
using BpfLoader.Errors;
using BpfLoader.Features;
using BpfLoader.Interop;
using BpfLoader.Kernel;
using BpfLoader.Links;
using BpfLoader.Maps;
using BpfLoader.Object;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;
using BpfLoader.Rings;
using TcpStates.Cli;

namespace TcpStates.Tracing;

/// <summary>
/// The kernel side of the tool, loaded and attached: the embedded object with the user's filters
/// compiled in, the program on sock:inet_sock_set_state, and the reader of its events.
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
    private const string TracepointCategory = "sock", TracepointName = "inet_sock_set_state";

    /// <summary>
    /// Ring buffer: the program wakes the reader only when what waits crosses a multiple of this (a quarter
    /// of the 2 MiB ring), a safety net; the read loop's timer does the work. Every wakeup is an IPI inside
    /// the program, and softirqs run on its way out: a state change among them is a recursion miss.
    /// </summary>
    internal const uint WakeupBytes = 512 * 1024;
    /// <summary>How long events may wait while they flow: the read loop drains on this timer.</summary>
    internal const int BusyPollTimeoutMs = 10;
    /// <summary>How long the first event after a quiet spell may wait (an idle tool wakes 10 times a second).</summary>
    internal const int PollTimeoutMs = 100;
    private const int PerfPagesPerCpu = 256;   // 1 MiB per CPU where there is no ring buffer
    private static readonly TimeSpan HitsReadInterval = TimeSpan.FromSeconds(1);

    private readonly Collection _collection;
    private readonly BpfProgram _program;
    private readonly List<BpfLink> _links;
    private TracepointCounter? _hits;   // tp_btf: the kernel's count of the tracepoint's hits
    private readonly BpfProgram? _hitsProgram;   // classic tracepoint: the raw tracepoint that counts them
    private ulong _hitsAtAttach;
    private ulong? _hitsAtDetach;
    private readonly Stopwatch _sinceHitsRead = Stopwatch.StartNew();
    private ulong _hitsCounted;         // the tracepoint's hits since attach, as of the last reading
    private ulong _unseen;              // hits that reached neither program, as of the last reading of _hits
    private ulong _lostReported;
    private ulong _lostLastRead;

    public RingReader Reader { get; }

    /// <summary>What the last <see cref="TakeDrops"/> counted as lost, by cause (for TCPSTATES_DEBUG; formatted on demand,
    /// as the read loop must not allocate).</summary>
    public string LossBreakdown =>
        $"{_lastCounts.Drops} found the ring full; {_lastCounts.Misses} skipped by the kernel (a recursion), {_lastCounts.Caught} of them caught; "
        + (_hitsAtDetach is null && _hits is null && _hitsProgram is null ? "hits that never reached the programs not counted" : $"{_unseen} hits never reached the programs, of {_hitsCounted} counted");

    private (ulong Drops, ulong Misses, ulong Caught) _lastCounts;

    /// <summary>Where events come from, for the debug line: "tp_btf" or "tracepoint", "ring buffer" or "perf buffer".</summary>
    public string Description { get; }

    private TcpStatesProbe(Collection collection, BpfProgram program, List<BpfLink> links, TracepointCounter? hits,
        RingReader reader, string description)
    {
        _collection = collection;
        _program = program;
        _links = links;
        _hits = hits;
        _hitsProgram = collection.Programs.GetValueOrDefault(HitsProgram);
        _hitsAtAttach = ReadHits() ?? 0;
        Reader = reader;
        Description = description;
    }

    /// <summary>
    /// Loads and attaches: tp_btf where the kernel has BTF and takes it, else the classic tracepoint;
    /// the ring buffer where the kernel has one, else a perf buffer. TCPSTATES_ATTACH=tracepoint and
    /// TCPSTATES_TRANSPORT=perf force the fallbacks (for tests, and for a kernel that misbehaves).
    /// A fallback the host forces is told in one line through <paramref name="notice"/> (a forced one only
    /// through <paramref name="debug"/>): what is missing, and what the tool does instead.
    /// </summary>
    public static TcpStatesProbe Attach(TcpStatesOptions options, RecordHandler onRecord, Action<string> debug, Action<string>? notice = null)
    {
        notice ??= debug;
        KernelFeatures.EnsureBpfPermitted();
        // Maps may be allowed where tracing programs are not (CAP_BPF without CAP_PERFMON): say so before
        // every fallback fails on it in turn.
        if (ThreadCapabilities.MissingForTracing() is string missing)
            throw new BpfException($"tracing with BPF needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), and this process lacks {missing}: run as root, or grant them");
        bool perfForced = Environment.GetEnvironmentVariable("TCPSTATES_TRANSPORT") == "perf";
        bool ringBuffer = KernelFeatures.HasRingBuffer && !perfForced;
        // A fallback's notice is told once the fallback works: when it fails too, its error alone is the line.
        string? transportNotice = !KernelFeatures.HasRingBuffer && !perfForced
            ? "this kernel has no BPF ring buffer (Linux 5.8): reading events through a perf buffer" : null;
        bool tracepointOnly = Environment.GetEnvironmentVariable("TCPSTATES_ATTACH") == "tracepoint";
        string? btfFailure = null;
        if (KernelFeatures.HasBtf && !tracepointOnly)
        {
            try
            {
                TcpStatesProbe btf = Attach(options, [BtfProgram, NestedBtfProgram], ringBuffer, onRecord, notice);
                if (transportNotice is not null) notice(transportNotice);
                return btf;
            }
            catch (BpfException e)
            {
                btfFailure = $"tp_btf did not load or attach, using the classic tracepoint: {FirstLine(e.Message)}";
            }
        }
        else if (tracepointOnly)
        {
            debug("TCPSTATES_ATTACH=tracepoint");
        }
        else
        {
            btfFailure = "this kernel has no BTF (/sys/kernel/btf/vmlinux): using the classic tracepoint";
        }
        // No nested program here: a classic tracepoint skips every program on a CPU already running one.
        // A raw tracepoint counts the hits instead, on a path of its own (older kernels may refuse it).
        TcpStatesProbe probe;
        string? hitsFailure = null;
        try
        {
            probe = Attach(options, [TracepointProgram, HitsProgram], ringBuffer, onRecord, debug);
        }
        catch (BpfException e)
        {
            probe = Attach(options, [TracepointProgram], ringBuffer, onRecord, notice);
            hitsFailure = $"no raw tracepoint to count the tracepoint's hits, so changes its program never got cannot be reported: {FirstLine(e.Message)}";
        }
        if (transportNotice is not null) notice(transportNotice);
        if (btfFailure is not null) notice(btfFailure);
        if (hitsFailure is not null) notice(hitsFailure);
        return probe;
    }

    /// <summary>Loads <paramref name="programs"/> and attaches them in order (the first one is the main one).</summary>
    private static TcpStatesProbe Attach(TcpStatesOptions options, string[] programs, bool ringBuffer,
        RecordHandler onRecord, Action<string> notice)
    {
        CollectionSpec spec = CollectionSpec.FromResource(typeof(TcpStatesProbe).Assembly, ObjectName);
        spec.SetConstant("filter_by_sport", options.LocalPorts.Count > 0);
        spec.SetConstant("filter_by_dport", options.RemotePorts.Count > 0);
        spec.SetConstant("target_family", options.Family);
        spec.SetConstant("target_netns", options.NetNs);
        spec.SetConstant("target_cgroup", options.CgroupId);
        // The plain columns print neither the netns nor the cgroup: the programs skip reading them.
        spec.SetConstant("want_owner", options.Json || options.Containers || options.NetNs != 0 || options.CgroupId != 0);
        spec.SetConstant("use_ringbuf", ringBuffer);
        spec.SetConstant("wakeup_bytes", ringBuffer ? WakeupBytes : 0u);
        MapSpec events = spec.Maps["events"];
        if (!ringBuffer)
        {
            events.Type = BpfMapType.PerfEventArray;
            events.KeySize = 4;
            events.ValueSize = 4;
            events.MaxEntries = 0;   // one per possible CPU
        }

        Collection collection = Collection.Load(spec, new CollectionOptions { Programs = programs });
        RingReader? reader = null;
        var links = new List<BpfLink>();
        try
        {
            FillPorts(collection.Maps["sports"], options.LocalPorts);
            FillPorts(collection.Maps["dports"], options.RemotePorts);
            BpfMap eventsMap = collection.Maps["events"];
            reader = ringBuffer
                // Mapped once: a 2 MiB ring costs 2 MiB of RSS, not 4 (a wrapping record is copied).
                ? new RingBufferReader(eventsMap, onRecord, mapDataTwice: false)
                : new PerfEventArrayReader(eventsMap, onRecord,
                    // No lost-record handler: the program counts what did not fit (TakeDrops), and the
                    // kernel's PERF_RECORD_LOST would count the same events again, and late.
                    onLost: null,
                    // As with the ring buffer: wake on a quarter full, drain on the read loop's timer.
                    new PerfEventRingOptions
                    {
                        DataPages = PerfPagesPerCpu,
                        WakeupWatermarkBytes = (uint)(PerfPagesPerCpu * Environment.SystemPageSize / 4),
                    });
            // In order: the kernel runs a tracepoint's programs in the order they were attached.
            foreach (string program in programs) links.Add(collection.Attach(program));
            string how = (programs[0] == BtfProgram ? "tp_btf" : "tracepoint") + " with " + (ringBuffer ? "ring buffer" : "perf buffer");
            TracepointCounter? hits = programs[0] == BtfProgram ? OpenHitCounter(notice) : null;
            return new TcpStatesProbe(collection, collection.Programs[programs[0]], links, hits, reader, how);
        }
        catch
        {
            foreach (BpfLink link in links) link.Dispose();
            reader?.Dispose();
            collection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// tp_btf only: the kernel does not always call tp_btf programs, nor count a miss, for a hit of the
    /// tracepoint (seen here for changes in softirqs over one particular task, where a classic tracepoint
    /// program gets a recursion miss). Its perf count of the hits shows those. Not with the classic
    /// tracepoint: there the kernel skips counting a hit its BPF program returned 0 for, and the counter sits
    /// behind the same perf path as the program (tcpstates_hits counts there).
    /// </summary>
    private static TracepointCounter? OpenHitCounter(Action<string> notice)
    {
        try
        {
            return TracepointCounter.Open(TracepointCategory, TracepointName);
        }
        catch (BpfException e)
        {
            notice($"no count of the tracepoint's hits, so changes tp_btf never got cannot be reported: {FirstLine(e.Message)}");
            return null;
        }
    }

    /// <summary>A verifier log follows the first line of some messages: a notice is one line.</summary>
    private static string FirstLine(string message)
    {
        int end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }

    private static void FillPorts(BpfMap map, IReadOnlySet<ushort> ports)
    {
        foreach (ushort port in ports) map.Update(port, (byte)1);
    }

    /// <summary>
    /// Events lost since the last call: those the ring buffer had no room for (the programs count them per
    /// CPU); those the kernel did not run the main program for because it was already running on that CPU
    /// (a state change in a softirq that interrupted it: its recursion misses), less the ones the nested
    /// program caught; and, with tp_btf, hits of the tracepoint that reached neither (the kernel's count of
    /// hits, less what the main program was called for or missed). Totals, not deltas, are compared, the
    /// kernel's count read first: counters read an instant apart can only make a loss look smaller, except
    /// a miss counted an instant before its catch, so a total is reported once a second reading confirms
    /// it, and in full when <paramref name="final"/> (after Detach).
    /// </summary>
    public ulong TakeDrops(bool final = false)
    {
        // Reading the kernel's count interrupts every other CPU (an IPI each): once a second, not per poll,
        // which doubled the tool's CPU time under churn.
        ulong? hits = _hitsAtDetach
            ?? (final || _sinceHitsRead.Elapsed >= HitsReadInterval ? ReadHits() : null);
        if (hits is not null) _sinceHitsRead.Restart();
        ulong misses = _program.GetRunStatistics().RecursionMisses;
        ulong seen = SumPerCpu("seen");
        ulong caught = SumPerCpu("caught");
        ulong drops = SumPerCpu("drops");
        if (hits is ulong counted) _hitsCounted = counted - _hitsAtAttach;
        if (hits is ulong h && h - _hitsAtAttach > seen + misses)
            _unseen = Math.Max(_unseen, h - _hitsAtAttach - (seen + misses));
        ulong lost = drops + (misses > caught ? misses - caught : 0) + _unseen;
        _lastCounts = (drops, misses, caught);
        ulong confirmed = final ? lost : Math.Min(lost, _lostLastRead);
        _lostLastRead = lost;
        if (confirmed <= _lostReported) return 0;
        ulong fresh = confirmed - _lostReported;
        _lostReported = confirmed;
        return fresh;
    }

    /// <summary>
    /// The kernel's count of the tracepoint's hits, null where there is none: tp_btf's perf counter, or the
    /// classic path's raw tracepoint (what it counted plus the hits it was skipped for, a recursion).
    /// </summary>
    private ulong? ReadHits()
    {
        if (_hits is not null) return _hits.Read();
        if (_hitsProgram is null) return null;
        ulong misses = _hitsProgram.GetRunStatistics().RecursionMisses;
        return SumPerCpu("hits") + misses;
    }

    /// <summary>A one-entry per-CPU u64 map, summed over CPUs; 0 if not loaded.</summary>
    private ulong SumPerCpu(string mapName)
    {
        if (!_collection.Maps.TryGetValue(mapName, out BpfMap? map)) return 0;
        Span<ulong> perCpu = stackalloc ulong[BpfMap.PossibleCpuCount];
        if (!map.TryLookupPerCpu(0u, perCpu)) return 0;
        ulong total = 0;
        foreach (ulong n in perCpu) total += n;
        return total;
    }

    /// <summary>Stops new events; what is already in the rings stays readable.</summary>
    public void Detach()
    {
        // The count of hits stops here too: later hits are not events we owe anyone.
        _hitsAtDetach ??= ReadHits();
        _hits?.Dispose();
        _hits = null;
        // The nested program first: alone, the main one still traces every change.
        for (int i = _links.Count - 1; i >= 0; i--) _links[i].Dispose();
        _links.Clear();
    }

    public void Dispose()
    {
        Detach();
        Reader.Dispose();
        _collection.Dispose();
    }
}
