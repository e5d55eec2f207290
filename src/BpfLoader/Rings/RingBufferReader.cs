using BpfLoader.Interop;

namespace BpfLoader.Rings;

/// <summary>
/// The reader of a BPF_MAP_TYPE_RINGBUF map: the consumer page mapped read-write, the producer page
/// and the data area read-only. The data is mapped once, not twice as the kernel allows (see
/// <see cref="RingBufferCursor"/>): a 2 MiB ring costs 2 MiB of RSS, not 4.
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
    /// Maps the ring buffer of <paramref name="mapFd"/>, whose data size is the map's
    /// <paramref name="maxEntries"/> (a power of two, a multiple of the page size).
    /// </summary>
    public RingBufferReader(FileDescriptor mapFd, uint maxEntries, RecordHandler onRecord)
        : this(mapFd, maxEntries, onRecord, releaseEachRecord: true) { }

    internal RingBufferReader(FileDescriptor mapFd, uint maxEntries, RecordHandler onRecord, bool releaseEachRecord)
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
            _producerAndData = MemoryMapping.Share(mapFd, (nuint)page + maxEntries, Libc.ProtRead, page, "ring buffer producer page and data");
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
            maxEntries)
        {
            ReleaseEachRecord = releaseEachRecord,
        };
    }

    internal RingBufferCursor Cursor => _cursor;

    internal override int RingCount => 1;

    internal override FileDescriptor RingFd(int ring) => _mapFd;

    internal override int Drain(int ring) => _cursor.Drain(_onRecord);

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
