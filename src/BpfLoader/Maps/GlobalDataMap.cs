using System.Buffers;
using BpfLoader.Errors;
using BpfLoader.Interop;
using BpfLoader.Object;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Maps;

/// <summary>
/// One global-data map (<c>.data</c>, <c>.bss</c>, <c>.rodata</c>: a one-element array whose value is the
/// section) as its <see cref="Variable"/>s reach it: through a shared mapping of the value where the map was
/// created BPF_F_MMAPABLE (Linux 5.5), else by BPF_MAP_LOOKUP_ELEM / BPF_MAP_UPDATE_ELEM of element 0.
/// </summary>
internal sealed unsafe class GlobalDataMap : IDisposable
{
    private static readonly Lazy<bool> s_mmapable = new(ProbeMmapable);

    private readonly Lock _lock = new();
    private MemoryMapping? _mapping;
    private volatile bool _mappingTried;
    private volatile bool _disposed;

    public GlobalDataMap(BpfMap map, bool readOnly, bool useMapping)
    {
        Map = map;
        ReadOnly = readOnly;
        _mappingTried = !useMapping || (map.Flags & MapFlags.Mmapable) == 0;
    }

    public BpfMap Map { get; }

    /// <summary>Frozen (<c>.rodata</c>): user space may only read it.</summary>
    public bool ReadOnly { get; }

    /// <summary>Whether this kernel creates array maps BPF_F_MMAPABLE: probed once.</summary>
    public static bool KernelCanMapArrays => s_mmapable.Value;

    /// <summary>True when reads and writes go through the shared mapping rather than syscalls.</summary>
    public bool IsMapped => Mapping() is not null;

    public void Read(int offset, Span<byte> destination)
    {
        MemoryMapping? mapping = Mapping();
        if (mapping is not null)
        {
            new ReadOnlySpan<byte>(mapping.Address + offset, destination.Length).CopyTo(destination);
            return;
        }
        byte[] value = ArrayPool<byte>.Shared.Rent(Map.ValueSize);
        try
        {
            LookupElementZero(value.AsSpan(0, Map.ValueSize));
            value.AsSpan(offset, destination.Length).CopyTo(destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(value);
        }
    }

    public void Write(int offset, ReadOnlySpan<byte> source)
    {
        MemoryMapping? mapping = Mapping();
        if (mapping is not null)
        {
            source.CopyTo(new Span<byte>(mapping.Address + offset, source.Length));
            return;
        }
        // Read, patch, write back the whole section: a program's writes to other variables of the section
        // in between are lost (the mapping has no such race; it is the fallback for kernels before 5.5).
        byte[] value = ArrayPool<byte>.Shared.Rent(Map.ValueSize);
        try
        {
            lock (_lock)
            {
                Span<byte> whole = value.AsSpan(0, Map.ValueSize);
                LookupElementZero(whole);
                source.CopyTo(whole[offset..]);
                Span<byte> key = stackalloc byte[sizeof(uint)];
                key.Clear();
                Map.Update(key, whole, MapUpdateFlags.Any);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(value);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _mapping?.Dispose();
            _mapping = null;
        }
    }

    private void LookupElementZero(Span<byte> whole)
    {
        Span<byte> key = stackalloc byte[sizeof(uint)];
        key.Clear();
        if (!Map.TryLookup(key, whole))
            throw new BpfException($"{Map} has no element 0");
    }

    /// <summary>Mapped at first use, so a collection whose globals nobody reads costs no mapping.</summary>
    private MemoryMapping? Mapping()
    {
        if (_mappingTried)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _mapping;
        }
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_mappingTried)
            {
                // A frozen map refuses a writable mapping (EPERM); a read-only one it allows.
                int prot = ReadOnly ? Libc.ProtRead : Libc.ProtRead | Libc.ProtWrite;
                nuint length = (nuint)(((long)Map.ValueSize + Libc.PageSize - 1) / Libc.PageSize * Libc.PageSize);
                try
                {
                    _mapping = MemoryMapping.Share(Map.Fd, length, prot, 0, $"global data {Map.Name}");
                }
                catch (BpfSyscallException)
                {
                    _mapping = null;   // element calls still work
                }
                _mappingTried = true;
            }
            return _mapping;
        }
    }

    private static bool ProbeMmapable()
    {
        try
        {
            using BpfMap probe = BpfMap.Create(new MapCreateOptions
            {
                Type = BpfMapType.Array,
                KeySize = 4,
                ValueSize = 4,
                MaxEntries = 1,
                Flags = MapFlags.Mmapable,
                Name = "probe_mmap",
            });
            return true;
        }
        catch (BpfSyscallException e) when (e.Errno == Errno.EINVAL)
        {
            return false;
        }
    }
}
