using System.Buffers;
using System.Runtime.InteropServices;
using BpfLoader.Errors;
using BpfLoader.Interop;
using BpfLoader.Kernel;
using BpfLoader.Object.Uapi;
using Microsoft.Win32.SafeHandles;

namespace BpfLoader.Maps;

/// <summary>
/// A BPF map owned through its fd. Element calls take spans (no allocation per call); the generic
/// overloads view unmanaged structs as bytes. Per-CPU maps exchange one value per possible CPU,
/// each padded to 8 bytes (<see cref="ValueBufferSize"/>).
/// </summary>
public sealed unsafe partial class BpfMap : IDisposable
{
    private static readonly Lazy<int> s_possibleCpus = new(() => CpuList.Possible().Cpus.Count);

    /// <summary>The map's fd.</summary>
    internal FileDescriptor Fd { get; }

    /// <summary>
    /// A new fd for this map, owned by the caller, for code outside this library that needs the kernel
    /// object itself (another process over SCM_RIGHTS, another BPF library). Disposing this map does not
    /// close it, nor does closing it dispose this map; the map lives while either is open.
    /// </summary>
    public SafeFileHandle DuplicateHandle() => Fd.DuplicateAsSafeFileHandle();
    /// <summary>The map's type.</summary>
    public BpfMapType Type { get; }
    /// <summary>The map's name, as the object or the caller gave it.</summary>
    public string Name { get; }
    /// <summary>Bytes per key.</summary>
    public int KeySize { get; }
    /// <summary>Bytes per value (per CPU, for per-CPU maps).</summary>
    public int ValueSize { get; }
    /// <summary>The map's capacity; for a ring buffer, its size in bytes.</summary>
    public int MaxEntries { get; }
    /// <summary>The flags the map was created with.</summary>
    public MapFlags Flags { get; }

    /// <summary>The bytes a lookup or update exchanges: <see cref="ValueSize"/>, or for per-CPU maps round_up(ValueSize, 8) × possible CPUs.</summary>
    public int ValueBufferSize { get; }

    /// <summary>Possible CPUs (/sys/devices/system/cpu/possible): the number of values of a per-CPU map element.</summary>
    public static int PossibleCpuCount => s_possibleCpus.Value;

    private BpfMap(FileDescriptor fd, MapCreateOptions options, string name)
    {
        Fd = fd;
        Type = options.Type;
        Name = name;
        KeySize = (int)options.KeySize;
        ValueSize = (int)options.ValueSize;
        MaxEntries = (int)options.MaxEntries;
        Flags = options.Flags;
        ValueBufferSize = IsPerCpu(Type) ? PerCpuStride(ValueSize) * PossibleCpuCount : ValueSize;
    }

    /// <summary>A map another process made (from a pin, id or fd), described by the kernel: used by Pinning.</summary>
    internal static BpfMap FromKernel(FileDescriptor fd, MapInfo info) => new(fd, new MapCreateOptions
    {
        Type = (BpfMapType)info.Type,
        KeySize = info.KeySize,
        ValueSize = info.ValueSize,
        MaxEntries = info.MaxEntries,
        Flags = (MapFlags)info.MapFlags,
    }, ObjectName.Read(new ReadOnlySpan<byte>(info.Name, ObjectName.Length)));

    /// <summary>True for the map types whose values are one per possible CPU.</summary>
    public static bool IsPerCpu(BpfMapType type) => type is BpfMapType.PercpuHash or BpfMapType.PercpuArray or BpfMapType.LruPercpuHash;

    /// <summary>The per-CPU slot size in user-space buffers: the kernel copies each CPU's value 8-byte aligned.</summary>
    public static int PerCpuStride(int valueSize) => (valueSize + 7) & ~7;

    /// <summary>BPF_MAP_CREATE.</summary>
    public static BpfMap Create(MapCreateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        string name = ObjectName.Sanitise(options.Name);
        var attr = new MapCreateAttr
        {
            BpfMapType = (uint)options.Type,
            KeySize = options.KeySize,
            ValueSize = options.ValueSize,
            MaxEntries = options.MaxEntries,
            MapFlags = (uint)options.Flags,
            MapExtra = options.MapExtra,
        };
        ObjectName.Write(name, new Span<byte>(attr.MapName, ObjectName.Length));

        using var btf = new FdLease(options.Btf?.Fd);
        using var inner = new FdLease(options.InnerMap?.Fd);
        if (options.InnerMap is not null) attr.InnerMapFd = inner.Value;
        if (options.Btf is not null)
        {
            attr.BtfFd = btf.Value;
            attr.BtfKeyTypeId = options.BtfKeyTypeId;
            attr.BtfValueTypeId = options.BtfValueTypeId;
        }
        FileDescriptor fd = BpfSyscall.InvokeForFd(BpfCommand.MapCreate, ref attr, $"map '{name}' ({options.Type})");
        return new BpfMap(fd, options, name);
    }

    private static void Validate(MapCreateOptions o)
    {
        if (o.Type == BpfMapType.Ringbuf)
        {
            // The kernel wants a power-of-two multiple of the page size, and no key or value.
            uint page = (uint)Libc.PageSize;
            if (o.MaxEntries < page || !uint.IsPow2(o.MaxEntries) || o.MaxEntries % page != 0)
                throw new ArgumentException($"ring buffer size {o.MaxEntries} is not a power-of-two multiple of the page size {page}", nameof(o));
            if (o.KeySize != 0 || o.ValueSize != 0)
                throw new ArgumentException("a ring buffer map has no key or value", nameof(o));
        }
        if (o.Type == BpfMapType.PerfEventArray && (o.KeySize != 4 || o.ValueSize != 4))
            throw new ArgumentException("a perf event array has 4-byte keys and values", nameof(o));
    }

    /// <summary>BPF_MAP_LOOKUP_ELEM into <paramref name="value"/> (<see cref="ValueBufferSize"/> bytes); false if the key is absent.</summary>
    public bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        CheckKey(key);
        CheckValue(value.Length);
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            return ElementCall(BpfCommand.MapLookupElem, k, v, 0, absentIsFalse: true);
        }
    }

    /// <summary>BPF_MAP_UPDATE_ELEM.</summary>
    public void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        CheckKey(key);
        CheckValue(value.Length);
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            ElementCall(BpfCommand.MapUpdateElem, k, v, (ulong)flags, absentIsFalse: false);
        }
    }

    /// <summary>BPF_MAP_DELETE_ELEM; false if the key was absent.</summary>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        CheckKey(key);
        fixed (byte* k = key)
        {
            return ElementCall(BpfCommand.MapDeleteElem, k, null, 0, absentIsFalse: true);
        }
    }

    /// <summary>BPF_MAP_GET_NEXT_KEY: the key after <paramref name="key"/>, or the first key when <paramref name="key"/> is empty; false at the end.</summary>
    public bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        if (!key.IsEmpty)
            CheckKey(key);
        if (nextKey.Length != KeySize)
            throw new ArgumentException($"next key buffer is {nextKey.Length} bytes, map '{Name}' has {KeySize}-byte keys", nameof(nextKey));
        fixed (byte* k = key)
        fixed (byte* n = nextKey)
        {
            return ElementCall(BpfCommand.MapGetNextKey, key.IsEmpty ? null : k, n, 0, absentIsFalse: true);
        }
    }

    /// <summary>
    /// BPF_MAP_LOOKUP_AND_DELETE_ELEM: copies the value of <paramref name="key"/> into <paramref name="value"/>
    /// (<see cref="ValueBufferSize"/> bytes) and removes the element in one call; false if the key is absent.
    /// Hash maps (of every kind) take it from Linux 5.14; queues and stacks through <see cref="TryPop(Span{byte})"/>.
    /// </summary>
    public bool TryLookupAndDelete(ReadOnlySpan<byte> key, Span<byte> value)
    {
        CheckKey(key);
        CheckValue(value.Length);
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            return ElementCall(BpfCommand.MapLookupAndDeleteElem, k, v, 0, absentIsFalse: true);
        }
    }

    /// <summary>Typed <see cref="TryLookupAndDelete(ReadOnlySpan{byte}, Span{byte})"/>: the sizes of <typeparamref name="TKey"/> and <typeparamref name="TValue"/> must be the map's.</summary>
    public bool TryLookupAndDelete<TKey, TValue>(in TKey key, out TValue value) where TKey : unmanaged where TValue : unmanaged
    {
        value = default;
        return TryLookupAndDelete(AsBytes(in key), MemoryMarshal.AsBytes(new Span<TValue>(ref value)));
    }

    /// <summary>
    /// A queue's oldest or a stack's newest value, removed (BPF_MAP_LOOKUP_AND_DELETE_ELEM with no key);
    /// false when the map is empty.
    /// </summary>
    public bool TryPop(Span<byte> value)
    {
        CheckQueueOrStack();
        return TryLookupAndDelete(ReadOnlySpan<byte>.Empty, value);
    }

    /// <summary>Typed <see cref="TryPop(Span{byte})"/>.</summary>
    public bool TryPop<TValue>(out TValue value) where TValue : unmanaged
    {
        value = default;
        return TryPop(MemoryMarshal.AsBytes(new Span<TValue>(ref value)));
    }

    /// <summary>The value <see cref="TryPop(Span{byte})"/> would take, left in place (BPF_MAP_LOOKUP_ELEM with no key); false when empty.</summary>
    public bool TryPeek(Span<byte> value)
    {
        CheckQueueOrStack();
        return TryLookup(ReadOnlySpan<byte>.Empty, value);
    }

    /// <summary>Typed <see cref="TryPeek(Span{byte})"/>.</summary>
    public bool TryPeek<TValue>(out TValue value) where TValue : unmanaged
    {
        value = default;
        return TryPeek(MemoryMarshal.AsBytes(new Span<TValue>(ref value)));
    }

    /// <summary>
    /// Adds a value to a queue or stack (BPF_MAP_UPDATE_ELEM with no key). A full map refuses it (E2BIG)
    /// unless <paramref name="flags"/> is <see cref="MapUpdateFlags.Exist"/>, which drops the oldest value to make room.
    /// </summary>
    public void Push(ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        CheckQueueOrStack();
        Update(ReadOnlySpan<byte>.Empty, value, flags);
    }

    /// <summary>Typed <see cref="Push(ReadOnlySpan{byte}, MapUpdateFlags)"/>.</summary>
    public void Push<TValue>(in TValue value, MapUpdateFlags flags = MapUpdateFlags.Any) where TValue : unmanaged
        => Push(AsBytes(in value), flags);

    private void CheckQueueOrStack()
    {
        if (Type is not (BpfMapType.Queue or BpfMapType.Stack))
            throw new InvalidOperationException($"map '{Name}' ({Type}) is not a queue or stack: it has keys");
    }

    /// <summary>BPF_MAP_FREEZE: from now on user space can no longer write the map (programs still can, unless the map is read-only for them).</summary>
    public void Freeze()
    {
        using var map = new FdLease(Fd);
        var attr = new ObjectFdAttr { Fd = map.Value };
        BpfSyscall.Invoke(BpfCommand.MapFreeze, ref attr, $"map '{Name}'");
    }

    /// <summary>Looks up <paramref name="key"/>; false when the map has no such entry.</summary>
    public bool TryLookup<TKey, TValue>(in TKey key, out TValue value) where TKey : unmanaged where TValue : unmanaged
    {
        value = default;
        return TryLookup(AsBytes(in key), MemoryMarshal.AsBytes(new Span<TValue>(ref value)));
    }

    /// <summary>Creates or replaces the entry for <paramref name="key"/>, as <paramref name="flags"/> allows.</summary>
    public void Update<TKey, TValue>(in TKey key, in TValue value, MapUpdateFlags flags = MapUpdateFlags.Any)
        where TKey : unmanaged where TValue : unmanaged
        => Update(AsBytes(in key), AsBytes(in value), flags);

    /// <summary>Deletes the entry for <paramref name="key"/>; false when there was none.</summary>
    public bool Delete<TKey>(in TKey key) where TKey : unmanaged => Delete(AsBytes(in key));

    /// <summary>Looks up one element of a per-CPU map into one value per possible CPU.</summary>
    public bool TryLookupPerCpu<TKey, TValue>(in TKey key, Span<TValue> perCpu) where TKey : unmanaged where TValue : unmanaged
    {
        CheckPerCpu<TValue>(perCpu.Length);
        int stride = PerCpuStride(ValueSize);
        byte[] rented = ArrayPool<byte>.Shared.Rent(ValueBufferSize);
        try
        {
            Span<byte> buffer = rented.AsSpan(0, ValueBufferSize);
            if (!TryLookup(AsBytes(in key), buffer))
                return false;
            for (int cpu = 0; cpu < perCpu.Length; cpu++)
                perCpu[cpu] = MemoryMarshal.Read<TValue>(buffer.Slice(cpu * stride, ValueSize));
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Updates one element of a per-CPU map with one value per possible CPU.</summary>
    public void UpdatePerCpu<TKey, TValue>(in TKey key, ReadOnlySpan<TValue> perCpu, MapUpdateFlags flags = MapUpdateFlags.Any)
        where TKey : unmanaged where TValue : unmanaged
    {
        CheckPerCpu<TValue>(perCpu.Length);
        int stride = PerCpuStride(ValueSize);
        byte[] rented = ArrayPool<byte>.Shared.Rent(ValueBufferSize);
        try
        {
            Span<byte> buffer = rented.AsSpan(0, ValueBufferSize);
            buffer.Clear();
            for (int cpu = 0; cpu < perCpu.Length; cpu++)
                MemoryMarshal.Write(buffer.Slice(cpu * stride, ValueSize), in perCpu[cpu]);
            Update(AsBytes(in key), buffer, flags);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void CheckPerCpu<TValue>(int count) where TValue : unmanaged
    {
        if (!IsPerCpu(Type))
            throw new InvalidOperationException($"map '{Name}' ({Type}) is not per-CPU");
        if (count != PossibleCpuCount)
            throw new ArgumentException($"need one value per possible CPU ({PossibleCpuCount}), got {count}");
        if (sizeof(TValue) != ValueSize)
            throw new ArgumentException($"{typeof(TValue).Name} is {sizeof(TValue)} bytes, map '{Name}' has {ValueSize}-byte values");
    }

    /// <summary>All keys, by BPF_MAP_GET_NEXT_KEY (a snapshot-free walk: concurrent deletes may restart it, as in the kernel).</summary>
    public IEnumerable<byte[]> Keys()
    {
        byte[]? current = null;
        while (true)
        {
            var next = new byte[KeySize];
            if (!TryGetNextKey(current, next))
                yield break;
            yield return next;
            current = next;
        }
    }

    /// <summary>The map's keys, walked with BPF_MAP_GET_NEXT_KEY (entries added or deleted meanwhile may be missed or seen).</summary>
    public IEnumerable<TKey> Keys<TKey>() where TKey : unmanaged
    {
        if (sizeof(TKey) != KeySize)
            throw new ArgumentException($"{typeof(TKey).Name} is {sizeof(TKey)} bytes, map '{Name}' has {KeySize}-byte keys");
        return Keys().Select(k => MemoryMarshal.Read<TKey>(k));
    }

    /// <summary>BPF_OBJ_GET_INFO_BY_FD: the kernel's id for this map.</summary>
    public uint GetId()
    {
        MapInfo info = default;
        ObjectInfo.Get(Fd, ref info, "map");
        return info.Id;
    }

    /// <summary>Closes the map's fd; the kernel frees the map once no program or other fd holds it.</summary>
    public void Dispose() => Fd.Dispose();

    /// <summary>Name, type and fd, for messages.</summary>
    public override string ToString() => $"map '{Name}' ({Type}, {Fd})";

    private bool ElementCall(BpfCommand command, byte* key, byte* value, ulong flags, bool absentIsFalse)
    {
        using var map = new FdLease(Fd);
        var attr = new MapElemAttr { MapFd = map.Value, Key = (ulong)key, Value = (ulong)value, Flags = flags };
        int result = BpfSyscall.TryInvoke(command, ref attr);
        if (result >= 0)
            return true;
        if (absentIsFalse && result == -Errno.ENOENT)
            return false;
        throw new BpfSyscallException(command.Name(), -result, $"map '{Name}'");
    }

    private void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
            throw new ArgumentException($"key is {key.Length} bytes, map '{Name}' has {KeySize}-byte keys", nameof(key));
    }

    private void CheckValue(int length)
    {
        if (length != ValueBufferSize)
            throw new ArgumentException(
                $"value buffer is {length} bytes, map '{Name}' needs {ValueBufferSize}" +
                (IsPerCpu(Type) ? $" ({PerCpuStride(ValueSize)} × {PossibleCpuCount} possible CPUs)" : string.Empty));
    }

    private static ReadOnlySpan<byte> AsBytes<T>(ref readonly T value) where T : unmanaged
        => MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value));
}
