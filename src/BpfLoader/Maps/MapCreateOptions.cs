using BpfLoader.Kernel;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Maps;

/// <summary>What BPF_MAP_CREATE needs; the spec layer fills this from a map definition.</summary>
public sealed class MapCreateOptions
{
    /// <summary>The map type.</summary>
    public required BpfMapType Type { get; init; }
    /// <summary>Bytes per key (0 for ring buffers).</summary>
    public uint KeySize { get; init; }
    /// <summary>Bytes per value (0 for ring buffers).</summary>
    public uint ValueSize { get; init; }
    /// <summary>The capacity in entries; for a ring buffer, its size in bytes (a power of two, page-aligned).</summary>
    public required uint MaxEntries { get; init; }
    /// <summary>BPF_F_* creation flags.</summary>
    public MapFlags Flags { get; init; }
    /// <summary>Up to 15 characters kept; characters outside [A-Za-z0-9_.] become '_'.</summary>
    public string? Name { get; init; }
    /// <summary>The program BTF holding the key and value types, or null for a map without BTF.</summary>
    public BtfHandle? Btf { get; init; }
    /// <summary>The key's type id in the BTF given with the map, or 0.</summary>
    public uint BtfKeyTypeId { get; init; }
    /// <summary>The value's type id in the BTF given with the map, or 0.</summary>
    public uint BtfValueTypeId { get; init; }
    /// <summary>map_extra: the bloom filter's hash count, or an arena's address.</summary>
    public ulong MapExtra { get; init; }
    /// <summary>For ARRAY_OF_MAPS and HASH_OF_MAPS: a map of the kind the outer map will hold (its template; it may be closed once the outer map exists).</summary>
    public BpfMap? InnerMap { get; init; }
}
