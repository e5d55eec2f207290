using BpfLoader.Interop;
using BpfLoader.Maps;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Rings;

/// <summary>
/// Rings that programs keep in the values of an array map created <c>BPF_F_MMAPABLE</c>, one per element (say one per
/// CPU, each written by that CPU's program alone, which then needs no lock and no helper call), in the layout of a BPF
/// ring buffer's records: 8-byte headers (u32 length with a busy and a discard bit, u32 unused), records 8-byte
/// aligned. Each value holds the consumer position at <see cref="ConsumerOffset"/> (the reader's), the producer position
/// at <see cref="ProducerOffset"/> (the program's), and the data from <see cref="DataOffset"/>, of which the first
/// power-of-two bytes are used; a record never wraps: the program fills the rest of the ring with a discarded record
/// and starts over. Read them merged with <see cref="MergedRingBufferReader"/>. Nothing here can be polled: the
/// programs wake the reader through a ring buffer (see <c>EventRing.UseWakeupFlag</c>).
/// </summary>
public sealed unsafe class RingArray : IDisposable
{
    /// <summary>Where each value keeps the consumer position, written by the reader.</summary>
    public const int ConsumerOffset = 0;

    /// <summary>Where each value keeps the producer position, written by the program: two cache lines from the
    /// consumer's, so that neither side's writes evict the other's line (nor its adjacent-line prefetch).</summary>
    public const int ProducerOffset = 128;

    /// <summary>Where each value's data starts.</summary>
    public const int DataOffset = 256;

    private readonly MemoryMapping _mapping;
    private readonly int _stride;

    /// <summary>
    /// Maps <paramref name="map"/> (an array created <c>BPF_F_MMAPABLE</c>) and reads each element's ring, of
    /// <paramref name="ringBytes"/> (a power of two, at most what a value holds past <see cref="DataOffset"/>). The rings
    /// start where the positions stand. The map stays the caller's; it must outlive this.
    /// </summary>
    public RingArray(BpfMap map, uint ringBytes)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.Type != BpfMapType.Array || (map.Flags & MapFlags.Mmapable) == 0)
            throw new ArgumentException($"{map} is not an array created BPF_F_MMAPABLE", nameof(map));
        if (ringBytes < RingBufferCursor.HeaderSize || (ringBytes & (ringBytes - 1)) != 0 || ringBytes > DataBytes(map.ValueSize))
            throw new ArgumentOutOfRangeException(nameof(ringBytes), ringBytes, $"a power of two up to the {DataBytes(map.ValueSize)} bytes each value of {map} holds past its positions");
        int stride = _stride = BpfMap.PerCpuStride(map.ValueSize);
        nuint length = (nuint)stride * (nuint)map.MaxEntries;
        length = (length + (nuint)Libc.PageSize - 1) & ~((nuint)Libc.PageSize - 1);
        _mapping = MemoryMapping.Share(map.Fd, length, Libc.ProtRead | Libc.ProtWrite, 0, $"rings of {map}");
        var cursors = new RingBufferCursor[map.MaxEntries];
        for (int i = 0; i < cursors.Length; i++)
        {
            byte* value = _mapping.Address + (nint)i * stride;
            cursors[i] = new RingBufferCursor((ulong*)(value + ConsumerOffset), (ulong*)(value + ProducerOffset), value + DataOffset, ringBytes, doubleMapped: false)
            {
                ReleaseEveryBytes = RingBufferReader.ReleaseInterval(ringBytes),
            };
        }
        Cursors = cursors;
    }

    /// <summary>The bytes a value of <paramref name="valueSize"/> holds past its positions.</summary>
    public static uint DataBytes(int valueSize) => valueSize > DataOffset ? (uint)(valueSize - DataOffset) : 0;

    /// <summary>How many rings: one per element.</summary>
    public int Count => Cursors.Length;

    internal RingBufferCursor[] Cursors { get; }

    /// <summary>Element <paramref name="element"/>'s value, as mapped here (tests write rings through it).</summary>
    internal byte* Value(int element) => _mapping.Address + (nint)element * _stride;

    /// <summary>Unmaps the rings.</summary>
    public void Dispose() => _mapping.Dispose();
}
