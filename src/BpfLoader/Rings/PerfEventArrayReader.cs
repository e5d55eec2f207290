using BpfLoader.Interop;
using BpfLoader.Kernel;

namespace BpfLoader.Rings;

/// <summary>
/// The reader of a BPF_MAP_TYPE_PERF_EVENT_ARRAY: one <see cref="PerfEventRing"/> per online CPU,
/// each stored into the map at its CPU's index by the caller's <c>storeInMap</c>.
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
    /// Opens a ring on every CPU of <paramref name="cpus"/> (default: possible ∩ online), skipping
    /// CPUs that answer ENODEV, and calls <paramref name="storeInMap"/>(cpu, fd) for each so the BPF
    /// program's bpf_perf_event_output(BPF_F_CURRENT_CPU) lands in that CPU's ring.
    /// </summary>
    public static PerfEventArrayReader Open(
        Action<int, FileDescriptor> storeInMap,
        RecordHandler onRecord,
        LostRecordsHandler? onLost = null,
        PerfEventRingOptions? options = null,
        CpuList? cpus = null)
    {
        ArgumentNullException.ThrowIfNull(storeInMap);
        ArgumentNullException.ThrowIfNull(onRecord);
        cpus ??= CpuList.OnlinePossible();
        var rings = new List<PerfEventRing>(cpus.Cpus.Count);
        try
        {
            foreach (int cpu in cpus.Cpus)
            {
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
            throw new BpfException($"no perf event ring could be opened on CPUs {cpus}");
        return new PerfEventArrayReader([.. rings], onRecord, onLost);
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
