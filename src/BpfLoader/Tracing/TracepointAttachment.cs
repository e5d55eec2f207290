using BpfLoader.Errors;
using BpfLoader.Features;
using BpfLoader.Kernel;
using BpfLoader.Links;
using BpfLoader.Maps;
using BpfLoader.Object.Spec;
using BpfLoader.Object;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;
using BpfLoader.Rings;

namespace BpfLoader.Tracing;

/// <summary>
/// Programs of one object attached to one tracepoint the best way this kernel takes: tp_btf where it has BTF and
/// the programs load and attach, else the classic tracepoint (with a raw tracepoint counting its hits where that
/// works); their events read through a ring buffer, or a perf event array where the kernel has none. What the host
/// forced is told in <see cref="Notices"/>, one line each. Disposing it detaches and closes everything.
/// </summary>
public sealed class TracepointAttachment : IDisposable
{
    private readonly List<BpfLink> _links;

    private TracepointAttachment(TracepointAttachKind kind, EventRingKind ringKind, Collection collection, BpfProgram program,
        List<BpfLink> links, EventRing? events, TracepointHitCount? hits, LossCounter losses)
    {
        Kind = kind;
        RingKind = ringKind;
        Collection = collection;
        MainProgram = program;
        _links = links;
        Events = events;
        Hits = hits;
        Losses = losses;
    }

    /// <summary>tp_btf or the classic tracepoint.</summary>
    public TracepointAttachKind Kind { get; }

    /// <summary>The kind of map the events go through (whether or not <see cref="TracepointAttachOptions.EventMap"/> was given).</summary>
    public EventRingKind RingKind { get; }

    /// <summary>The loaded object: the programs of the way taken and the maps they use.</summary>
    public Collection Collection { get; }

    /// <summary>The first program of the way taken, whose calls and misses <see cref="Losses"/> counts.</summary>
    public BpfProgram MainProgram { get; }

    /// <summary>The events' ring, opened before the programs attached; null without <see cref="TracepointAttachOptions.EventMap"/>.</summary>
    public EventRing? Events { get; }

    /// <summary>The kernel's count of the tracepoint's hits since attach; null where there is none (see <see cref="Notices"/>).</summary>
    public TracepointHitCount? Hits { get; }

    /// <summary>The events lost, by cause, with the count maps the options name and <see cref="Hits"/>.</summary>
    public LossCounter Losses { get; }

    /// <summary>
    /// Why the host made this attachment less than the best, one line each, in order: no count of the hits, no ring
    /// buffer, no tp_btf (and why), no raw tracepoint to count the hits. Empty when nothing was missing; what the
    /// caller forced is not told here.
    /// </summary>
    public IReadOnlyList<string> Notices { get; private set; } = [];

    /// <summary>Why tp_btf was not taken when the host forced it (no BTF, or its error's first line); null otherwise.</summary>
    public string? FallbackReason { get; private set; }

    /// <summary>
    /// Loads and attaches: tp_btf (<see cref="TracepointAttachOptions.BtfPrograms"/>) where the kernel has BTF and they
    /// load and attach, else the classic tracepoint (<see cref="TracepointAttachOptions.TracepointPrograms"/>), whose
    /// error is then the one thrown. A fallback's notice is given only once the fallback works.
    /// </summary>
    /// <exception cref="BpfException">BPF is not permitted, the thread lacks the capabilities for tracing, or the classic tracepoint does not load or attach either.</exception>
    public static TracepointAttachment Attach(TracepointAttachOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TracepointPrograms.Count == 0)
            throw new ArgumentException("the classic tracepoint needs at least one program", nameof(options));
        // The kernel's BTF is read from the start, while the checks below run and the object is parsed and shaped.
        using KernelBtfLoad? kernelBtf = options.BtfPrograms.Count > 0 && !options.ForceTracepoint && KernelFeatures.HasBtf
            ? KernelBtf.LoadInBackground() : null;
        return AttachWith(options, kernelBtf);
    }

    private static TracepointAttachment AttachWith(TracepointAttachOptions options, KernelBtfLoad? kernelBtf)
    {
        KernelFeatures.EnsureBpfPermitted();
        // Maps may be allowed where tracing programs are not (CAP_BPF without CAP_PERFMON): say so before
        // every fallback fails on it in turn.
        if (ThreadCapabilities.MissingForTracing() is string missing)
            throw new BpfException($"tracing with BPF needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), and this process lacks {missing}: run as root, or grant them");
        EventRingKind preferred = options.ForcePerfEventArray ? EventRingKind.PerfEventArray
            : options.PerCpuEventMap is not null && options.EventMap is not null && !options.ForceSharedRingBuffer ? EventRingKind.RingBufferPerCpu
            : EventRingKind.RingBuffer;
        EventRingKind ringKind = EventRing.ChooseKind(preferred, out string? ringNotice);
        var notices = new List<string>();
        string? btfFailure = null;
        if (options.BtfPrograms.Count > 0 && !options.ForceTracepoint)
        {
            if (KernelFeatures.HasBtf)
            {
                try
                {
                    TracepointAttachment btf = Load(options, TracepointAttachKind.TpBtf, ringKind, [.. options.BtfPrograms], hitCountProgram: null, notices, kernelBtf);
                    if (ringNotice is not null) notices.Add(ringNotice);
                    btf.Notices = notices;
                    return btf;
                }
                catch (BpfException e)
                {
                    notices.Clear();
                    btfFailure = $"tp_btf did not load or attach, using the classic tracepoint: {FirstLine(e.Message)}";
                }
            }
            else
            {
                btfFailure = "this kernel has no BTF (/sys/kernel/btf/vmlinux): using the classic tracepoint";
            }
        }
        // A perf count alone misses here the hits a classic program ran for and returned 0 for. A raw tracepoint
        // counts them, on a path of its own (older kernels may refuse it), and perf the hits no program ran for.
        TracepointAttachment probe;
        string? hitsFailure = null;
        if (options.HitCountProgram is string counter)
        {
            try
            {
                probe = Load(options, TracepointAttachKind.Tracepoint, ringKind, [.. options.TracepointPrograms, counter], counter, notices, kernelBtf);
            }
            catch (BpfException e)
            {
                probe = Load(options, TracepointAttachKind.Tracepoint, ringKind, [.. options.TracepointPrograms], null, notices, kernelBtf);
                hitsFailure = $"no raw tracepoint to count the tracepoint's hits, so changes its program never got cannot be reported: {FirstLine(e.Message)}";
            }
        }
        else
        {
            probe = Load(options, TracepointAttachKind.Tracepoint, ringKind, [.. options.TracepointPrograms], null, notices, kernelBtf);
        }
        if (ringNotice is not null) notices.Add(ringNotice);
        if (btfFailure is not null) notices.Add(btfFailure);
        if (hitsFailure is not null) notices.Add(hitsFailure);
        probe.Notices = notices;
        probe.FallbackReason = btfFailure;
        return probe;
    }

    /// <summary>Loads <paramref name="programs"/> and attaches them in order (the first one is the main one).</summary>
    private static TracepointAttachment Load(TracepointAttachOptions options, TracepointAttachKind kind, EventRingKind ringKind,
        string[] programs, string? hitCountProgram, List<string> notices, KernelBtfLoad? kernelBtf)
    {
        CollectionSpec spec = options.Spec(ringKind);
        uint cpuRingBytes = 0;
        if (options.EventMap is string eventMap)
        {
            if (!spec.Maps.TryGetValue(eventMap, out MapSpec? events))
                throw new BpfObjectException($"the object has no map '{eventMap}' to send events through");
            if (options.PerCpuEventMap is string perCpu)
            {
                MapSpec ringsByCpu = spec.Maps.TryGetValue(perCpu, out MapSpec? declared) ? declared
                    : throw new BpfObjectException($"the object has no map '{perCpu}' to hold per-CPU rings");
                cpuRingBytes = ringsByCpu.Type == BpfMapType.Array
                    ? options.CpuRingBytes ?? RingArray.DataBytes((int)ringsByCpu.ValueSize)
                    : ringsByCpu.InnerMap?.MaxEntries ?? 0;   // before Shape makes the template small
                EventRing.Shape(events, ringsByCpu, ringKind);
            }
            else
                EventRing.Shape(events, ringKind);
        }

        // Opened now, counted from the attachment on: its perf events (tracefs, an event per CPU, the tracepoint
        // enabled) are set up while the kernel's BTF is still being read, not after the programs are verified.
        TracepointCounter? counter = kind == TracepointAttachKind.TpBtf && hitCountProgram is null && options.CountBtfHits
            ? OpenHitCounter(options, notices, "changes tp_btf never got")
            : hitCountProgram is not null ? OpenHitCounter(options, notices, "hits the kernel ran no program for")
            : null;
        // The rings are mapped as soon as their maps exist, for the same reason; before the programs attach in any case:
        // a perf event array's slots are empty until its reader fills them.
        EventRing? ring = null;
        void OpenRing(IReadOnlyDictionary<string, BpfMap> maps)
        {
            BpfMap eventsMap = CreatedMap(maps, options.EventMap!, programs);
            ring = ringKind == EventRingKind.RingBufferPerCpu
                ? EventRing.OpenPerCpu(CreatedMap(maps, options.PerCpuEventMap!, programs), cpuRingBytes,
                    eventsMap, options.EventTimestampOffset, options.EventRing)
                : EventRing.Open(eventsMap, options.EventRing);
        }
        Collection collection;
        try
        {
            collection = Collection.Load(spec, new CollectionOptions
            {
                Programs = programs,
                KernelBtfLoading = kernelBtf,
                MapsCreated = options.EventMap is null ? null : OpenRing,
            });
        }
        catch
        {
            ring?.Dispose();
            counter?.Dispose();
            throw;
        }
        TracepointHitCount? hits = null;
        var links = new List<BpfLink>();
        try
        {
            options.BeforeAttach?.Invoke(collection);
            if (ring is not null)
            {
                if (options.ReaderWaitingVariable is string flag)
                {
                    ring.UseWakeupFlag(collection.Globals.TryGetValue(flag, out Variable? v) ? v
                        : throw new BpfException($"the object has no global variable '{flag}' (ReaderWaitingVariable)"));
                }
            }
            // In order: the kernel runs a tracepoint's programs in the order they were attached.
            foreach (string program in programs) links.Add(collection.Attach(program));
            if (hitCountProgram is not null)
            {
                BpfMap counts = options.HitCountMap is string m && collection.Maps.TryGetValue(m, out BpfMap? map) ? map
                    : throw new BpfException($"the hit count program '{hitCountProgram}' needs HitCountMap, a per-CPU array it counts in");
                hits = TracepointHitCount.FromProgram(collection.Programs[hitCountProgram], counts, counter);
                counter = null;
            }
            else if (counter is not null)
            {
                hits = TracepointHitCount.FromPerfCounter(counter);
                counter = null;
            }
            BpfProgram main = collection.Programs[programs[0]];
            var losses = new LossCounter(main, Find(collection, options.RingFullCountMap), Find(collection, options.CaughtCountMap),
                Find(collection, options.CallCountMap), options.CallCountMap is null ? null : hits);
            return new TracepointAttachment(kind, ringKind, collection, main, links, ring, hits, losses);
        }
        catch
        {
            counter?.Dispose();
            hits?.Dispose();
            foreach (BpfLink link in links) link.Dispose();
            ring?.Dispose();
            collection.Dispose();
            throw;
        }
    }

    private static BpfMap CreatedMap(IReadOnlyDictionary<string, BpfMap> maps, string name, string[] programs) =>
        maps.TryGetValue(name, out BpfMap? map) ? map
            : throw new BpfException($"map '{name}' was not created: none of the programs {string.Join(", ", programs)} uses it");

    private static BpfMap? Find(Collection collection, string? name) =>
        name is not null && collection.Maps.TryGetValue(name, out BpfMap? map) ? map : null;

    /// <summary>
    /// The kernel does not always run the programs on a tracepoint, nor count a miss, for a hit of it (seen for hits
    /// in softirqs over one particular task): neither tp_btf nor raw tracepoint programs, nor classic ones. Its perf
    /// count shows those: of every hit with tp_btf, of the hits perf ran no program for with classic ones (see
    /// <see cref="TracepointHitCount.FromProgram(BpfProgram, BpfMap, TracepointCounter?)"/>). <paramref name="unseen"/>
    /// says in a notice what goes unreported without it.
    /// </summary>
    private static TracepointCounter? OpenHitCounter(TracepointAttachOptions options, List<string> notices, string unseen)
    {
        try
        {
            return TracepointCounter.Open(options.Category, options.Name);
        }
        catch (BpfException e)
        {
            notices.Add($"no count of the tracepoint's hits, so {unseen} cannot be reported: {FirstLine(e.Message)}");
            return null;
        }
    }

    /// <summary>A verifier log follows the first line of some messages: a notice is one line.</summary>
    private static string FirstLine(string message)
    {
        int end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }

    /// <summary>
    /// Stops new events: the hit count stops first (later hits are owed to no one), then the programs detach, the
    /// last attached first. What is already in the ring stays readable.
    /// </summary>
    public void Detach()
    {
        Hits?.Stop();
        for (int i = _links.Count - 1; i >= 0; i--) _links[i].Dispose();
        _links.Clear();
    }

    /// <summary>Detaches, then closes the ring, the hit count and the collection.</summary>
    public void Dispose()
    {
        Detach();
        Events?.Dispose();
        Hits?.Dispose();
        Collection.Dispose();
    }
}
