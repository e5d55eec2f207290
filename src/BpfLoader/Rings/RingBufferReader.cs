using BpfLoader.Interop;
using BpfLoader.Maps;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Rings;

/// <summary>
/// The reader of a BPF_MAP_TYPE_RINGBUF map: the consumer page mapped read-write, the producer page
/// and the data area (twice in a row, as the kernel lays it out, or once: see the constructor) read-only.
/// </summary>
public sealed unsafe class RingBufferReader : RingReader
{
    private readonly FileDescriptor _mapFd;
    private readonly MemoryMapping _consumerPage;
    private readonly MemoryMapping _producerAndData;
    private readonly RingBufferCursor _cursor;
    private readonly RecordHandler _onRecord;
    private bool _mapFdAdded;

    /// <summary>
    /// Maps the ring buffer <paramref name="map"/> (a <see cref="BpfMapType.Ringbuf"/>, whose data size is its
    /// <see cref="BpfMap.MaxEntries"/>) and hands each record to <paramref name="onRecord"/>.
    /// <paramref name="mapDataTwice"/> true (libbpf's way): the data area mapped twice in a row, so that every
    /// record is read in place. False: mapped once, and a record that wraps past the end is copied; the kernel
    /// maps every page of a mapping at once, so this halves what the ring costs in RSS (a 2 MiB ring: 2 MiB
    /// instead of 4). The reader holds the map's fd open until it is disposed.
    /// </summary>
    public RingBufferReader(BpfMap map, RecordHandler onRecord, bool mapDataTwice = true)
        : this(CheckedRing(map).Fd, (uint)map.MaxEntries, onRecord, mapDataTwice) { }

    /// <summary>The ring buffer of <paramref name="mapFd"/>, whose data size is <paramref name="maxEntries"/>: see the public constructor.</summary>
    internal RingBufferReader(FileDescriptor mapFd, uint maxEntries, RecordHandler onRecord, bool mapDataTwice = true)
        : this(mapFd, maxEntries, onRecord, ReleaseInterval(maxEntries), mapDataTwice) { }

    /// <summary>How often a long drain gives space back to the producers (see <see cref="RingBufferCursor.ReleaseEveryBytes"/>);
    /// at most a 64th of the ring.</summary>
    internal const uint ReleaseIntervalBytes = 16 * 1024;

    /// <summary>The release interval for a ring of <paramref name="ringBytes"/>: <see cref="ReleaseIntervalBytes"/>, or a 64th of a smaller ring.</summary>
    internal static ulong ReleaseInterval(uint ringBytes) => Math.Min(ReleaseIntervalBytes, ringBytes / 64);

    private static BpfMap CheckedRing(BpfMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.Type != BpfMapType.Ringbuf)
            throw new ArgumentException($"{map} is not a ring buffer ({BpfMapType.Ringbuf})", nameof(map));
        return map;
    }

    internal RingBufferReader(FileDescriptor mapFd, uint maxEntries, RecordHandler onRecord, bool releaseEachRecord, bool mapDataTwice = true)
        : this(mapFd, maxEntries, onRecord, releaseEachRecord ? 1UL : 0UL, mapDataTwice) { }

    private RingBufferReader(FileDescriptor mapFd, uint maxEntries, RecordHandler onRecord, ulong releaseEveryBytes, bool mapDataTwice)
    {
        ArgumentNullException.ThrowIfNull(mapFd);
        ArgumentNullException.ThrowIfNull(onRecord);
        int page = Libc.PageSize;
        if (maxEntries == 0 || (maxEntries & (maxEntries - 1)) != 0 || maxEntries % (uint)page != 0)
            throw new ArgumentOutOfRangeException(nameof(maxEntries), maxEntries, $"a power of two and a multiple of the page size ({page})");

        _mapFd = mapFd;
        _onRecord = onRecord;
        // The epoll registration and the mappings name the fd by number: keep it from being closed under us.
        mapFd.DangerousAddRef(ref _mapFdAdded);
        try
        {
            _consumerPage = MemoryMapping.Share(mapFd, (nuint)page, Libc.ProtRead | Libc.ProtWrite, 0, "ring buffer consumer page");
            _producerAndData = MemoryMapping.Share(mapFd, (nuint)page + (mapDataTwice ? 2u : 1u) * (nuint)maxEntries, Libc.ProtRead, page,
                "ring buffer producer page and data");
        }
        catch
        {
            _consumerPage?.Dispose();
            ReleaseMapFd();
            throw;
        }
        _cursor = new RingBufferCursor(
            (ulong*)_consumerPage.Address,
            (ulong*)_producerAndData.Address,
            _producerAndData.Address + page,
            maxEntries,
            mapDataTwice)
        {
            ReleaseEveryBytes = releaseEveryBytes,
        };
    }

    internal RingBufferCursor Cursor => _cursor;

    internal override int RingCount => 1;

    internal override FileDescriptor RingFd(int ring) => _mapFd;

    internal override int Drain(int ring) => _cursor.Drain(_onRecord);

    internal override bool HoldsRecords => _cursor.Pending != 0;

    /// <summary>Unmaps the ring's pages and releases its map fd.</summary>
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
            return;
        _producerAndData.Dispose();
        _consumerPage.Dispose();
        ReleaseMapFd();
    }

    private void ReleaseMapFd()
    {
        if (_mapFdAdded)
        {
            _mapFdAdded = false;
            _mapFd.DangerousRelease();
        }
    }
}
