using BpfLoader.Errors;
using BpfLoader.Interop;
using BpfLoader.Kernel;
using BpfLoader.Maps;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Tests.Kernel;

public class MapTests
{
    private static BpfMap Create(BpfMapType type, uint maxEntries = 8, uint valueSize = 8, string name = "test")
        => BpfMap.Create(new MapCreateOptions { Type = type, KeySize = 4, ValueSize = valueSize, MaxEntries = maxEntries, Name = name });

    [KernelFact]
    public void Hash_map_round_trips_update_lookup_delete()
    {
        using BpfMap map = Create(BpfMapType.Hash);
        Assert.False(map.TryLookup(7u, out ulong _));

        map.Update(7u, 700UL);
        map.Update(9u, 900UL);
        Assert.True(map.TryLookup(7u, out ulong seven));
        Assert.Equal(700UL, seven);

        map.Update(7u, 701UL, MapUpdateFlags.Exist);
        Assert.True(map.TryLookup(7u, out seven));
        Assert.Equal(701UL, seven);

        Assert.True(map.Delete(7u));
        Assert.False(map.Delete(7u));
        Assert.False(map.TryLookup(7u, out ulong _));
        Assert.True(map.TryLookup(9u, out ulong nine));
        Assert.Equal(900UL, nine);
    }

    [KernelFact]
    public void Span_overloads_read_and_write_raw_bytes()
    {
        using BpfMap map = Create(BpfMapType.Hash, valueSize: 3);
        byte[] key = [1, 2, 3, 4];
        map.Update(key, [0xaa, 0xbb, 0xcc]);
        Span<byte> value = stackalloc byte[3];
        Assert.True(map.TryLookup(key, value));
        Assert.Equal(new byte[] { 0xaa, 0xbb, 0xcc }, value.ToArray());
        Assert.Throws<ArgumentException>(() => map.Update(key, new byte[4]));
    }

    [KernelFact]
    public void NoExist_on_a_present_key_is_EEXIST()
    {
        using BpfMap map = Create(BpfMapType.Hash);
        map.Update(1u, 1UL, MapUpdateFlags.NoExist);
        var e = Assert.Throws<BpfSyscallException>(() => map.Update(1u, 2UL, MapUpdateFlags.NoExist));
        Assert.Equal("EEXIST", e.ErrnoName);
        Assert.Equal("BPF_MAP_UPDATE_ELEM", e.Operation);
        Assert.Contains("'test'", e.Message, StringComparison.Ordinal);

        var absent = Assert.Throws<BpfSyscallException>(() => map.Update(2u, 2UL, MapUpdateFlags.Exist));
        Assert.Equal(Errno.ENOENT, absent.Errno);
    }

    [KernelFact]
    public void Keys_iterates_every_key_once()
    {
        using BpfMap map = Create(BpfMapType.Hash, maxEntries: 64);
        uint[] keys = [3, 1, 4, 15, 9, 26, 5];
        foreach (uint k in keys)
            map.Update(k, (ulong)k * 10);

        uint[] seen = [.. map.Keys<uint>()];
        Assert.Equal(keys.Order(), seen.Order());
        Assert.Equal(keys.Length, map.Keys().Count());
    }

    [KernelFact]
    public void GetNextKey_of_an_empty_map_is_false()
    {
        using BpfMap map = Create(BpfMapType.Hash);
        Assert.False(map.TryGetNextKey([], new byte[4]));
        Assert.Empty(map.Keys());
    }

    [KernelFact]
    public void Lru_hash_evicts_instead_of_failing_when_full()
    {
        using BpfMap map = Create(BpfMapType.LruHash, maxEntries: 16);
        for (uint k = 0; k < 200; k++)
            map.Update(k, (ulong)k);
        int count = map.Keys().Count();
        Assert.InRange(count, 1, 16 * BpfMap.PossibleCpuCount);
        Assert.True(map.TryLookup(199u, out ulong last));   // the newest element survives eviction
        Assert.Equal(199UL, last);
    }

    [KernelFact]
    public void Hash_map_that_is_full_refuses_a_new_key()
    {
        using BpfMap map = Create(BpfMapType.Hash, maxEntries: 2);
        map.Update(1u, 1UL);
        map.Update(2u, 2UL);
        var e = Assert.Throws<BpfSyscallException>(() => map.Update(3u, 3UL));
        Assert.Equal("E2BIG", e.ErrnoName);
    }

    [KernelFact]
    public void Array_has_every_index_zeroed_and_keeps_updates()
    {
        using BpfMap map = Create(BpfMapType.Array, maxEntries: 4);
        for (uint i = 0; i < 4; i++)
        {
            Assert.True(map.TryLookup(i, out ulong v));
            Assert.Equal(0UL, v);
        }
        map.Update(2u, 42UL);
        Assert.True(map.TryLookup(2u, out ulong two));
        Assert.Equal(42UL, two);
        Assert.False(map.TryLookup(4u, out ulong _));
        Assert.Equal([0u, 1u, 2u, 3u], map.Keys<uint>().ToArray());
        Assert.Equal("EINVAL", Assert.Throws<BpfSyscallException>(() => map.Delete(1u)).ErrnoName);
    }

    [KernelFact]
    public void Per_cpu_array_exchanges_one_padded_value_per_possible_CPU()
    {
        using BpfMap map = Create(BpfMapType.PercpuArray, maxEntries: 2, valueSize: 4);
        int cpus = BpfMap.PossibleCpuCount;
        Assert.Equal(8 * cpus, map.ValueBufferSize);

        byte[] buffer = new byte[map.ValueBufferSize];
        for (int cpu = 0; cpu < cpus; cpu++)
            BitConverter.TryWriteBytes(buffer.AsSpan(cpu * 8, 4), 100 + cpu);
        map.Update(BitConverter.GetBytes(1u), buffer);

        uint[] perCpu = new uint[cpus];
        Assert.True(map.TryLookupPerCpu(1u, perCpu.AsSpan()));
        Assert.Equal(Enumerable.Range(100, cpus).Select(i => (uint)i), perCpu);

        // A buffer sized for one value is the classic mistake: refused before the kernel writes past it.
        Assert.Throws<ArgumentException>(() => map.TryLookup(1u, out uint _));
    }

    [KernelFact]
    public void Per_cpu_hash_round_trips()
    {
        using BpfMap map = Create(BpfMapType.PercpuHash, valueSize: 8);
        ulong[] written = [.. Enumerable.Range(0, BpfMap.PossibleCpuCount).Select(cpu => 0x1111UL * (ulong)(cpu + 1))];
        map.UpdatePerCpu(5u, written.AsSpan());
        ulong[] perCpu = new ulong[BpfMap.PossibleCpuCount];
        Assert.True(map.TryLookupPerCpu(5u, perCpu.AsSpan()));
        Assert.Equal(written, perCpu);
        Assert.False(map.TryLookupPerCpu(6u, perCpu.AsSpan()));
    }

    [KernelFact]
    public void Frozen_array_refuses_updates_from_user_space()
    {
        using BpfMap map = BpfMap.Create(new MapCreateOptions
        {
            Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1, Name = "frozen", Flags = MapFlags.ReadOnlyProgram,
        });
        map.Update(0u, 5UL);
        map.Freeze();
        var e = Assert.Throws<BpfSyscallException>(() => map.Update(0u, 6UL));
        Assert.Equal("EPERM", e.ErrnoName);
        Assert.True(map.TryLookup(0u, out ulong value));
        Assert.Equal(5UL, value);
    }

    [KernelFact]
    public void Ring_buffer_and_perf_event_array_can_be_created()
    {
        using BpfMap ring = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Ringbuf, MaxEntries = (uint)Environment.SystemPageSize * 4, Name = "events" });
        Assert.False(ring.Fd.IsInvalid);
        using BpfMap perf = BpfMap.Create(new MapCreateOptions
        {
            Type = BpfMapType.PerfEventArray, KeySize = 4, ValueSize = 4, MaxEntries = (uint)BpfMap.PossibleCpuCount, Name = "events",
        });
        Assert.False(perf.Fd.IsInvalid);
    }

    [Fact]
    public void Ring_buffer_size_must_be_a_power_of_two_multiple_of_the_page_size()
    {
        var e = Assert.Throws<ArgumentException>(() => BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Ringbuf, MaxEntries = (uint)Environment.SystemPageSize * 3 }));
        Assert.Contains("power-of-two", e.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Names_are_sanitised_and_truncated_to_what_the_kernel_accepts()
    {
        using BpfMap map = Create(BpfMapType.Array, name: "tcp-states/events.buffer");
        Assert.Equal("tcp_states_even", map.Name);
        Assert.True(map.GetId() > 0);
    }

    [KernelFact]
    public void Element_calls_on_spans_allocate_nothing()
    {
        using BpfMap map = Create(BpfMapType.Hash);
        byte[] key = new byte[4], value = new byte[8], next = new byte[4];
        map.Update(key, value);
        map.TryLookup(key, value);
        map.TryGetNextKey(key, next);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            map.Update(key, value);
            map.TryLookup(key, value);
            map.TryGetNextKey(key, next);
            map.TryLookup(0u, out ulong _);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [KernelFact]
    public void Map_with_BTF_key_and_value_types_is_checked_against_them()
    {
        const uint intTypeId = 1;   // MinimalBtf's first type: a 4-byte int
        using BtfHandle btf = BtfHandle.Load(new MinimalBtf("f", "f.c").Blob());
        using BpfMap map = BpfMap.Create(new MapCreateOptions
        {
            Type = BpfMapType.Hash, KeySize = 4, ValueSize = 4, MaxEntries = 4, Name = "typed",
            Btf = btf, BtfKeyTypeId = intTypeId, BtfValueTypeId = intTypeId,
        });
        map.Update(1, -1);
        Assert.True(map.TryLookup(1, out int value));
        Assert.Equal(-1, value);

        // An 8-byte value described as a 4-byte int: the kernel compares sizes and refuses.
        var e = Assert.Throws<BpfSyscallException>(() => BpfMap.Create(new MapCreateOptions
        {
            Type = BpfMapType.Hash, KeySize = 4, ValueSize = 8, MaxEntries = 4, Btf = btf, BtfKeyTypeId = intTypeId, BtfValueTypeId = intTypeId,
        }));
        Assert.Equal("BPF_MAP_CREATE", e.Operation);
        Assert.Equal("EINVAL", e.ErrnoName);
    }
}
