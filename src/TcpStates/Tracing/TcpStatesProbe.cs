using BpfLoader;
using BpfLoader.Interop;
using BpfLoader.Kernel;
using BpfLoader.Links;
using BpfLoader.Maps;
using BpfLoader.Programs;
using BpfLoader.Rings;
using BpfLoader.Spec;
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
    private const string TracepointProgram = "tcpstates_tp";

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

    private readonly Collection _collection;
    private readonly BpfProgram _program;
    private BpfLink? _link;
    private ulong _dropsReported;
    private ulong _missesReported;

    public RingReader Reader { get; }

    /// <summary>Where events come from, for the debug line: "tp_btf" or "tracepoint", "ring buffer" or "perf buffer".</summary>
    public string Description { get; }

    private TcpStatesProbe(Collection collection, BpfProgram program, BpfLink link, RingReader reader, string description)
    {
        _collection = collection;
        _program = program;
        _link = link;
        Reader = reader;
        Description = description;
    }

    /// <summary>
    /// Loads and attaches: tp_btf where the kernel has BTF and takes it, else the classic tracepoint;
    /// the ring buffer where the kernel has one, else a perf buffer. TCPSTATES_ATTACH=tracepoint and
    /// TCPSTATES_TRANSPORT=perf force the fallbacks (for tests, and for a kernel that misbehaves).
    /// </summary>
    public static TcpStatesProbe Attach(TcpStatesOptions options, RecordHandler onRecord, Action<string> debug)
    {
        KernelFeatures.EnsureBpfPermitted();
        bool ringBuffer = KernelFeatures.HasRingBuffer && Environment.GetEnvironmentVariable("TCPSTATES_TRANSPORT") != "perf";
        bool tracepointOnly = Environment.GetEnvironmentVariable("TCPSTATES_ATTACH") == "tracepoint";
        if (KernelFeatures.HasBtf && !tracepointOnly)
        {
            try
            {
                return Attach(options, BtfProgram, ringBuffer, onRecord);
            }
            catch (BpfException e)
            {
                debug($"tp_btf did not load or attach, using the tracepoint: {e.Message}");
            }
        }
        else
        {
            debug(tracepointOnly ? "TCPSTATES_ATTACH=tracepoint" : "no kernel BTF: using the tracepoint");
        }
        return Attach(options, TracepointProgram, ringBuffer, onRecord);
    }

    private static TcpStatesProbe Attach(TcpStatesOptions options, string program, bool ringBuffer,
        RecordHandler onRecord)
    {
        CollectionSpec spec = CollectionSpec.FromResource(typeof(TcpStatesProbe).Assembly, ObjectName);
        spec.SetConstant("filter_by_sport", options.LocalPorts.Count > 0);
        spec.SetConstant("filter_by_dport", options.RemotePorts.Count > 0);
        spec.SetConstant("target_family", options.Family);
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

        Collection collection = Collection.Load(spec, new CollectionOptions { Programs = new[] { program } });
        RingReader? reader = null;
        try
        {
            FillPorts(collection.Maps["sports"], options.LocalPorts);
            FillPorts(collection.Maps["dports"], options.RemotePorts);
            BpfMap eventsMap = collection.Maps["events"];
            reader = ringBuffer
                ? new RingBufferReader(eventsMap.Fd, (uint)eventsMap.MaxEntries, onRecord)
                : PerfEventArrayReader.Open((cpu, fd) => eventsMap.Update(cpu, fd.Value), onRecord,
                    // No lost-record handler: the program counts what did not fit (TakeDrops), and the
                    // kernel's PERF_RECORD_LOST would count the same events again, and late.
                    onLost: null,
                    // As with the ring buffer: wake on a quarter full, drain on the read loop's timer.
                    new PerfEventRingOptions
                    {
                        DataPages = PerfPagesPerCpu,
                        WakeupWatermarkBytes = (uint)(PerfPagesPerCpu * Environment.SystemPageSize / 4),
                    });
            BpfLink link = collection.Attach(program);
            string how = (program == BtfProgram ? "tp_btf" : "tracepoint") + " with " + (ringBuffer ? "ring buffer" : "perf buffer");
            return new TcpStatesProbe(collection, collection.Programs[program], link, reader, how);
        }
        catch
        {
            reader?.Dispose();
            collection.Dispose();
            throw;
        }
    }

    private static void FillPorts(BpfMap map, IReadOnlySet<ushort> ports)
    {
        foreach (ushort port in ports) map.Update(port, (byte)1);
    }

    /// <summary>
    /// Events lost since the last call: those the ring buffer had no room for (the program counts them per
    /// CPU) and those the kernel did not run the program for, because it was already running on that CPU
    /// (a state change in a softirq that interrupted it: the program's recursion misses).
    /// </summary>
    public ulong TakeDrops()
    {
        ulong fresh = 0;
        if (_collection.Maps.TryGetValue("drops", out BpfMap? drops))
        {
            Span<ulong> perCpu = stackalloc ulong[BpfMap.PossibleCpuCount];
            if (drops.TryLookupPerCpu(0u, perCpu))
            {
                ulong total = 0;
                foreach (ulong n in perCpu) total += n;
                fresh += total - _dropsReported;
                _dropsReported = total;
            }
        }
        ulong misses = _program.GetInfo().RecursionMisses;
        fresh += misses - _missesReported;
        _missesReported = misses;
        return fresh;
    }

    /// <summary>Stops new events; what is already in the rings stays readable.</summary>
    public void Detach()
    {
        _link?.Dispose();
        _link = null;
    }

    public void Dispose()
    {
        Detach();
        Reader.Dispose();
        _collection.Dispose();
    }
}
