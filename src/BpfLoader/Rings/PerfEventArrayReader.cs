using BpfLoader.Interop;
using BpfLoader.Kernel;
using BpfLoader.Maps;
using BpfLoader.Object;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Rings;

/// <summary>
/// The reader of a BPF_MAP_TYPE_PERF_EVENT_ARRAY: one <see cref="PerfEventRing"/> per online CPU,
/// each stored into the map at its CPU's index.
/// </summary>
public sealed class PerfEventArrayReader : RingReader
{
    private readonly PerfEventRing[] _rings;
    private readonly RecordHandler _onRecord;
    private readonly LostRecordsHandler? _onLost;

    /// <summary>The per-CPU rings, ascending by CPU.</summary>
    public IReadOnlyList<PerfEventRing> Rings => _rings;

    private PerfEventArrayReader(PerfEventRing[] rings, RecordHandler onRecord, LostRecordsHandler? onLost)
    {
        _rings = rings;
        _onRecord = onRecord;
        _onLost = onLost;
    }

    /// <summary>
    /// Opens a ring on every CPU of <paramref name="cpus"/> (default: possible ∩ online) that has an entry in
    /// <paramref name="map"/> (a <see cref="BpfMapType.PerfEventArray"/>; as libbpf, CPUs at or past its
    /// <see cref="BpfMap.MaxEntries"/> get none), skipping CPUs that answer ENODEV, and stores each ring in the
    /// map at its CPU's index, so that the program's bpf_perf_event_output(BPF_F_CURRENT_CPU) lands in that
    /// CPU's ring. Records go to <paramref name="onRecord"/>, the kernel's counts of records it could not store
    /// to <paramref name="onLost"/>.
    /// </summary>
    public PerfEventArrayReader(BpfMap map, RecordHandler onRecord, LostRecordsHandler? onLost = null,
        PerfEventRingOptions? options = null, CpuList? cpus = null)
        : this(OpenRings((cpu, fd) => map.Update(cpu, fd.Value), onRecord, options, cpus, CheckedArray(map).MaxEntries), onRecord, onLost) { }

    private static BpfMap CheckedArray(BpfMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.Type != BpfMapType.PerfEventArray)
            throw new ArgumentException($"{map} is not a perf event array ({BpfMapType.PerfEventArray})", nameof(map));
        return map;
    }

    /// <summary>
    /// Opens a ring on every CPU of <paramref name="cpus"/> (default: possible ∩ online), skipping
    /// CPUs that answer ENODEV, and calls <paramref name="storeInMap"/>(cpu, fd) for each so the BPF
    /// program's bpf_perf_event_output(BPF_F_CURRENT_CPU) lands in that CPU's ring.
    /// </summary>
    internal static PerfEventArrayReader Open(
        Action<int, FileDescriptor> storeInMap,
        RecordHandler onRecord,
        LostRecordsHandler? onLost = null,
        PerfEventRingOptions? options = null,
        CpuList? cpus = null)
    {
        ArgumentNullException.ThrowIfNull(storeInMap);
        ArgumentNullException.ThrowIfNull(onRecord);
        return new PerfEventArrayReader(OpenRings(storeInMap, onRecord, options, cpus, int.MaxValue), onRecord, onLost);
    }

    private static PerfEventRing[] OpenRings(Action<int, FileDescriptor> storeInMap, RecordHandler onRecord,
        PerfEventRingOptions? options, CpuList? cpus, int entries)
    {
        ArgumentNullException.ThrowIfNull(onRecord);
        cpus ??= CpuList.OnlinePossible();
        var rings = new List<PerfEventRing>(cpus.Cpus.Count);
        try
        {
            foreach (int cpu in cpus.Cpus)
            {
                if (cpu >= entries)
                    continue;
                PerfEventRing? ring = PerfEventRing.OpenBpfOutput(cpu, options);
                if (ring is null)
                    continue;
                rings.Add(ring);
                storeInMap(cpu, ring.Fd);
            }
        }
        catch
        {
            foreach (PerfEventRing ring in rings)
                ring.Dispose();
            throw;
        }
        if (rings.Count == 0)
            throw new BpfException($"no perf event ring could be opened on CPUs {cpus}" + (entries < int.MaxValue ? $" (the map has {entries} entries)" : ""));
        return [.. rings];
    }

    internal override int RingCount => _rings.Length;

    internal override FileDescriptor RingFd(int ring) => _rings[ring].Fd;

    internal override int Drain(int ring) => _rings[ring].Drain(_onRecord, _onLost);

    /// <summary>Unmaps every CPU's ring and closes its perf event.</summary>
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
            return;
        foreach (PerfEventRing ring in _rings)
            ring.Dispose();
    }
}
