using System.Runtime.InteropServices;
using BpfLoader.Errors;
using BpfLoader.Interop;

namespace BpfLoader.Maps;

// Batch operations (Linux 5.6+): many elements per bpf() call. Keys and values are packed back to
// back, KeySize and ValueBufferSize bytes each, as the kernel reads and writes them.
public sealed unsafe partial class BpfMap
{
    /// <summary>
    /// BPF_MAP_LOOKUP_BATCH: copies the next elements of the walk <paramref name="cursor"/> stands at into
    /// <paramref name="keys"/> and <paramref name="values"/> (as many as the buffers hold: n × <see cref="KeySize"/>
    /// and n × <see cref="ValueBufferSize"/> bytes) and returns how many it copied; 0, with
    /// <see cref="MapBatchCursor.IsDone"/>, when the walk is over. Hash maps copy whole buckets: a bucket larger
    /// than the buffers is an ENOSPC error. Arrays and hash maps (of every kind) have batch calls.
    /// </summary>
    public int LookupBatch(MapBatchCursor cursor, Span<byte> keys, Span<byte> values)
        => LookupBatch(BpfCommand.MapLookupBatch, cursor, keys, values);

    /// <summary>
    /// BPF_MAP_LOOKUP_AND_DELETE_BATCH: as <see cref="LookupBatch(MapBatchCursor, Span{byte}, Span{byte})"/>,
    /// and each element copied is removed (hash maps only).
    /// </summary>
    public int LookupAndDeleteBatch(MapBatchCursor cursor, Span<byte> keys, Span<byte> values)
        => LookupBatch(BpfCommand.MapLookupAndDeleteBatch, cursor, keys, values);

    /// <summary>Typed <see cref="LookupBatch(MapBatchCursor, Span{byte}, Span{byte})"/>: one key and one value (per CPU, for per-CPU maps) per element.</summary>
    public int LookupBatch<TKey, TValue>(MapBatchCursor cursor, Span<TKey> keys, Span<TValue> values)
        where TKey : unmanaged where TValue : unmanaged
        => LookupBatch(cursor, MemoryMarshal.AsBytes(keys), MemoryMarshal.AsBytes(values));

    /// <summary>Typed <see cref="LookupAndDeleteBatch(MapBatchCursor, Span{byte}, Span{byte})"/>.</summary>
    public int LookupAndDeleteBatch<TKey, TValue>(MapBatchCursor cursor, Span<TKey> keys, Span<TValue> values)
        where TKey : unmanaged where TValue : unmanaged
        => LookupAndDeleteBatch(cursor, MemoryMarshal.AsBytes(keys), MemoryMarshal.AsBytes(values));

    /// <summary>
    /// BPF_MAP_UPDATE_BATCH: writes every element of <paramref name="keys"/> and <paramref name="values"/>
    /// with <paramref name="flags"/> (per element); returns how many were written. A failure part-way
    /// throws, naming how many had been written before it.
    /// </summary>
    public int UpdateBatch(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        int count = BatchCount(keys.Length, values.Length);
        fixed (byte* k = keys)
        fixed (byte* v = values)
        {
            var attr = new MapBatchAttr { Keys = (ulong)k, Values = (ulong)v, Count = (uint)count, ElemFlags = (ulong)flags };
            int result = BatchCall(BpfCommand.MapUpdateBatch, ref attr);
            if (result < 0)
                throw new BpfSyscallException(BpfCommand.MapUpdateBatch.Name(), -result, $"map '{Name}', after {attr.Count} of {count} elements");
            return (int)attr.Count;
        }
    }

    /// <summary>Typed <see cref="UpdateBatch(ReadOnlySpan{byte}, ReadOnlySpan{byte}, MapUpdateFlags)"/>.</summary>
    public int UpdateBatch<TKey, TValue>(ReadOnlySpan<TKey> keys, ReadOnlySpan<TValue> values, MapUpdateFlags flags = MapUpdateFlags.Any)
        where TKey : unmanaged where TValue : unmanaged
        => UpdateBatch(MemoryMarshal.AsBytes(keys), MemoryMarshal.AsBytes(values), flags);

    /// <summary>
    /// BPF_MAP_DELETE_BATCH: deletes the elements of <paramref name="keys"/> in order and returns how many
    /// it deleted; the kernel stops at the first key that is absent, so a count below the keys given names it.
    /// Hash maps only (arrays have nothing to delete).
    /// </summary>
    public int DeleteBatch(ReadOnlySpan<byte> keys)
    {
        if (keys.Length % Math.Max(KeySize, 1) != 0 || KeySize == 0)
            throw new ArgumentException($"keys are {keys.Length} bytes, not a multiple of map '{Name}''s {KeySize}-byte keys", nameof(keys));
        int count = keys.Length / KeySize;
        fixed (byte* k = keys)
        {
            var attr = new MapBatchAttr { Keys = (ulong)k, Count = (uint)count };
            int result = BatchCall(BpfCommand.MapDeleteBatch, ref attr);
            if (result < 0 && result != -Errno.ENOENT)
                throw new BpfSyscallException(BpfCommand.MapDeleteBatch.Name(), -result, $"map '{Name}', after {attr.Count} of {count} elements");
            return (int)attr.Count;
        }
    }

    /// <summary>Typed <see cref="DeleteBatch(ReadOnlySpan{byte})"/>.</summary>
    public int DeleteBatch<TKey>(ReadOnlySpan<TKey> keys) where TKey : unmanaged => DeleteBatch(MemoryMarshal.AsBytes(keys));

    private int LookupBatch(BpfCommand command, MapBatchCursor cursor, Span<byte> keys, Span<byte> values)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        if (!ReferenceEquals(cursor.Map, this))
            throw new ArgumentException($"the cursor walks {cursor.Map}, not {this}", nameof(cursor));
        int count = BatchCount(keys.Length, values.Length);
        if (cursor.IsDone)
            return 0;
        fixed (byte* token = cursor.Token)
        fixed (byte* k = keys)
        fixed (byte* v = values)
        {
            // The kernel reads in_batch before it writes out_batch: one token serves as both.
            var attr = new MapBatchAttr
            {
                InBatch = cursor.Started ? (ulong)token : 0,
                OutBatch = (ulong)token,
                Keys = (ulong)k,
                Values = (ulong)v,
                Count = (uint)count,
            };
            int result = BatchCall(command, ref attr);
            if (result == -Errno.ENOENT)
            {
                cursor.IsDone = true;
                return (int)attr.Count;
            }
            if (result < 0)
                throw new BpfSyscallException(command.Name(), -result,
                    result == -Errno.ENOSPC ? $"map '{Name}': a hash bucket holds more than the {count} elements the buffers hold" : $"map '{Name}'");
            cursor.Started = true;
            return (int)attr.Count;
        }
    }

    private int BatchCount(int keyBytes, int valueBytes)
    {
        if (KeySize == 0)
            throw new InvalidOperationException($"map '{Name}' ({Type}) has no keys: it has no batch calls");
        if (keyBytes % KeySize != 0)
            throw new ArgumentException($"keys are {keyBytes} bytes, not a multiple of map '{Name}''s {KeySize}-byte keys");
        int count = keyBytes / KeySize;
        if ((long)count * ValueBufferSize != valueBytes)
            throw new ArgumentException($"{count} keys need {(long)count * ValueBufferSize} bytes of values ({ValueBufferSize} each), got {valueBytes}");
        return count;
    }

    private int BatchCall(BpfCommand command, ref MapBatchAttr attr)
    {
        using var map = new FdLease(Fd);
        attr.MapFd = map.Value;
        return BpfSyscall.TryInvoke(command, ref attr);
    }
}
