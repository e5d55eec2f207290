using BpfLoader.Errors;
using BpfLoader.Maps;
using BpfLoader.Object.Uapi;
using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Maps;

/// <summary>Batch calls, lookup-and-delete, and queue/stack calls against maps the tests create.</summary>
public sealed class BatchTests
{
    private static BpfMap Create(BpfMapType type, uint maxEntries, uint keySize = 4, uint valueSize = 8)
        => BpfMap.Create(new MapCreateOptions { Type = type, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Name = "batch_test" });

    private static Dictionary<uint, ulong> WalkAll(BpfMap map, int perCall, bool delete)
    {
        var cursor = new MapBatchCursor(map);
        var keys = new uint[perCall];
        var values = new ulong[perCall];
        var seen = new Dictionary<uint, ulong>();
        while (!cursor.IsDone)
        {
            int n = delete ? map.LookupAndDeleteBatch<uint, ulong>(cursor, keys, values) : map.LookupBatch<uint, ulong>(cursor, keys, values);
            for (int i = 0; i < n; i++)
                Assert.True(seen.TryAdd(keys[i], values[i]), $"key {keys[i]} twice");
        }
        Assert.Equal(0, map.LookupBatch<uint, ulong>(cursor, keys, values));   // done stays done
        return seen;
    }

    [KernelFact]
    public void Hash_map_batch_update_then_lookup_walks_every_element_once()
    {
        using BpfMap map = Create(BpfMapType.Hash, 256);
        uint[] keys = Enumerable.Range(0, 200).Select(i => (uint)i * 7).ToArray();
        ulong[] values = keys.Select(k => (ulong)k * 10 + 1).ToArray();
        Assert.Equal(200, map.UpdateBatch<uint, ulong>(keys, values));

        Dictionary<uint, ulong> seen = WalkAll(map, perCall: 16, delete: false);
        Assert.Equal(keys.Order(), seen.Keys.Order());
        Assert.All(seen, kv => Assert.Equal((ulong)kv.Key * 10 + 1, kv.Value));
        Assert.Equal(200, map.Keys().Count());   // lookup leaves them
    }

    [KernelFact]
    public void Lookup_and_delete_batch_empties_the_map_and_returns_what_it_held()
    {
        using BpfMap map = Create(BpfMapType.Hash, 128);
        uint[] keys = Enumerable.Range(1, 100).Select(i => (uint)i).ToArray();
        map.UpdateBatch<uint, ulong>(keys, keys.Select(k => (ulong)k << 32).ToArray());
        Dictionary<uint, ulong> seen = WalkAll(map, perCall: 32, delete: true);
        Assert.Equal(keys, seen.Keys.Order());
        Assert.All(seen, kv => Assert.Equal((ulong)kv.Key << 32, kv.Value));
        Assert.Empty(map.Keys());
    }

    [KernelFact]
    public void Delete_batch_stops_at_the_first_absent_key()
    {
        using BpfMap map = Create(BpfMapType.Hash, 64);
        uint[] keys = Enumerable.Range(0, 20).Select(i => (uint)i).ToArray();
        map.UpdateBatch<uint, ulong>(keys, new ulong[20]);
        Assert.Equal(10, map.DeleteBatch<uint>(keys.AsSpan(0, 10)));
        Assert.Equal(1, map.DeleteBatch<uint>([10u, 5000u, 11u]));
        Assert.Equal(keys[11..], map.Keys<uint>().Order());
    }

    [KernelFact]
    public void Array_and_per_cpu_array_batches_exchange_one_value_per_element_and_CPU()
    {
        using BpfMap array = Create(BpfMapType.Array, 40);
        uint[] keys = Enumerable.Range(0, 40).Select(i => (uint)i).ToArray();
        array.UpdateBatch<uint, ulong>(keys, keys.Select(k => (ulong)k + 100).ToArray());
        Dictionary<uint, ulong> seen = WalkAll(array, perCall: 7, delete: false);
        Assert.Equal(keys, seen.Keys.Order());
        Assert.All(seen, kv => Assert.Equal((ulong)kv.Key + 100, kv.Value));

        int cpus = BpfMap.PossibleCpuCount;
        using BpfMap perCpu = Create(BpfMapType.PercpuArray, 4);
        var values = new ulong[4 * cpus];
        for (int i = 0; i < values.Length; i++) values[i] = (ulong)i;
        Assert.Equal(4, perCpu.UpdateBatch<uint, ulong>([0u, 1u, 2u, 3u], values));
        var cursor = new MapBatchCursor(perCpu);
        var outKeys = new uint[4];
        var outValues = new ulong[4 * cpus];
        Assert.Equal(4, perCpu.LookupBatch<uint, ulong>(cursor, outKeys, outValues));
        Assert.Equal(values, outValues);
        Assert.Throws<ArgumentException>(() => perCpu.LookupBatch<uint, ulong>(cursor, outKeys, new ulong[4]));   // one value per CPU needed
    }

    [KernelFact]
    public void A_batch_walk_allocates_nothing_once_its_cursor_exists()
    {
        using BpfMap map = Create(BpfMapType.Hash, 64);
        uint[] keys = Enumerable.Range(0, 50).Select(i => (uint)i).ToArray();
        map.UpdateBatch<uint, ulong>(keys, new ulong[50]);
        var cursor = new MapBatchCursor(map);
        var k = new uint[64];
        var v = new ulong[64];
        map.LookupBatch<uint, ulong>(cursor, k, v);   // first call: JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        int total = 0;
        for (int round = 0; round < 100; round++)
        {
            cursor.Reset();
            while (!cursor.IsDone) total += map.LookupBatch<uint, ulong>(cursor, k, v);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(100 * 50, total);
        Assert.Equal(0, allocated);
    }

    [KernelFact]
    public void Lookup_and_delete_takes_a_hash_element_once()
    {
        using BpfMap map = Create(BpfMapType.Hash, 8);
        map.Update(3u, 33UL);
        Assert.True(map.TryLookupAndDelete(3u, out ulong value));
        Assert.Equal(33UL, value);
        Assert.False(map.TryLookupAndDelete(3u, out ulong _));
        Assert.False(map.TryLookup(3u, out ulong _));
        Assert.Throws<InvalidOperationException>(() => map.TryPop(out ulong _));
    }

    [KernelFact]
    public void Queue_pops_oldest_first_and_stack_newest_first()
    {
        using BpfMap queue = Create(BpfMapType.Queue, 4, keySize: 0);
        using BpfMap stack = Create(BpfMapType.Stack, 4, keySize: 0);
        foreach (BpfMap m in new[] { queue, stack })
        {
            Assert.False(m.TryPop(out ulong _));
            for (ulong i = 1; i <= 4; i++) m.Push(i);
            Assert.Equal("E2BIG", Assert.Throws<BpfSyscallException>(() => m.Push(5UL)).ErrnoName);
        }
        queue.Push(5UL, MapUpdateFlags.Exist);   // full: drops the oldest (1)
        Assert.True(queue.TryPeek(out ulong head));
        Assert.Equal(2UL, head);
        Assert.Equal([2UL, 3, 4, 5], PopAll(queue));
        Assert.Equal([4UL, 3, 2, 1], PopAll(stack));

        static List<ulong> PopAll(BpfMap m)
        {
            var popped = new List<ulong>();
            while (m.TryPop(out ulong v)) popped.Add(v);
            return popped;
        }
    }
}
