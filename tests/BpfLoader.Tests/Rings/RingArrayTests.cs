using System.Buffers.Binary;
using BpfLoader.Maps;
using BpfLoader.Object.Uapi;
using BpfLoader.Rings;
using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Rings;

/// <summary>
/// Rings in the values of a real mmapable array, written here as a program writes them (header busy, position, record,
/// header committed; the rest of the ring discarded where a record does not fit), read merged with a ring buffer.
/// </summary>
public sealed unsafe class RingArrayTests
{
    private const int RingBytes = 4096;

    private static BpfMap Array(int entries, MapFlags flags = MapFlags.Mmapable) => BpfMap.Create(new MapCreateOptions
    {
        Type = BpfMapType.Array,
        KeySize = 4,
        ValueSize = (uint)(RingArray.DataOffset + RingBytes),
        MaxEntries = (uint)entries,
        Flags = flags,
        Name = "ring_array",
    });

    /// <summary>The producer of one element: its own mapping of the array, as the kernel's is to the program.</summary>
    private sealed class Producer(byte* slot)
    {
        private ulong Position
        {
            get => Volatile.Read(ref *(ulong*)(slot + RingArray.ProducerOffset));
            set => Volatile.Write(ref *(ulong*)(slot + RingArray.ProducerOffset), value);
        }

        private ulong Consumer => Volatile.Read(ref *(ulong*)(slot + RingArray.ConsumerOffset));

        /// <summary>A record [u64 name][u64 time][padding to size]; false when the ring is full.</summary>
        public bool Write(ulong name, ulong time, int size)
        {
            ulong total = (ulong)(8 + size), position = Position, offset = position & (RingBytes - 1), pad = 0;
            if (offset > RingBytes - total)
                pad = RingBytes - offset;
            if (position + pad + total - Consumer > RingBytes)
                return false;
            byte* data = slot + RingArray.DataOffset;
            if (pad > 0)
            {
                Volatile.Write(ref *(ulong*)(data + offset), (pad - 8) | 1UL << 30);   // discarded
                offset = 0;
            }
            Volatile.Write(ref *(ulong*)(data + offset), (ulong)size | 1UL << 31);   // busy
            Position = position + pad + total;
            BinaryPrimitives.WriteUInt64LittleEndian(new Span<byte>(data + offset + 8, 8), name);
            BinaryPrimitives.WriteUInt64LittleEndian(new Span<byte>(data + offset + 16, 8), time);
            Volatile.Write(ref *(ulong*)(data + offset), (ulong)size);   // committed
            return true;
        }
    }

    [KernelFact]
    public void Records_of_every_element_come_out_merged_by_time_across_many_wraps()
    {
        using BpfMap array = Array(2);
        using BpfMap shared = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Ringbuf, MaxEntries = (uint)Environment.SystemPageSize, Name = "shared" });
        var names = new List<ulong>();
        // The test's producers write through a mapping of their own, as the kernel does.
        using var mapping = new RingArray(array, RingBytes);
        using var reader = new MergedRingBufferReader(new RingArray(array, RingBytes), [shared], 8,
            record => names.Add(BinaryPrimitives.ReadUInt64LittleEndian(record)));
        var producers = new[] { new Producer(ValueOf(mapping, 0)), new Producer(ValueOf(mapping, 1)) };

        // 112-byte records do not divide the ring: each lap ends in a discarded rest. Times are older than the clock.
        ulong name = 0, time = 1;
        for (int round = 0; round < 100; round++)
        {
            for (int i = 0; i < 20; i++, name++, time++)
                Assert.True(producers[(int)(name % 3 == 0 ? 1 : 0)].Write(name, time, name % 2 == 0 ? 104 : 56), $"ring full at {name}");
            reader.DrainAll();
        }
        reader.DrainToEnd(TimeSpan.FromSeconds(5));

        Assert.Equal(Enumerable.Range(0, (int)name).Select(n => (ulong)n), names);
    }

    [KernelFact]
    public void Only_an_mmapable_array_with_room_for_the_ring_is_taken()
    {
        using BpfMap plain = Array(1, MapFlags.None);
        Assert.Throws<ArgumentException>(() => new RingArray(plain, RingBytes));
        using BpfMap array = Array(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RingArray(array, RingBytes * 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RingArray(array, RingBytes - 8));
    }

    private static byte* ValueOf(RingArray rings, int element) => rings.Value(element);
}
