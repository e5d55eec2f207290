using BpfLoader.Kernel;

namespace BpfLoader.Maps;

/// <summary>What BPF_MAP_CREATE needs; the spec layer fills this from a map definition.</summary>
public sealed class MapCreateOptions
{
    public required BpfMapType Type { get; init; }
    public uint KeySize { get; init; }
    public uint ValueSize { get; init; }
    public required uint MaxEntries { get; init; }
    public MapFlags Flags { get; init; }
    /// <summary>Up to 15 characters kept; characters outside [A-Za-z0-9_.] become '_'.</summary>
    public string? Name { get; init; }
    /// <summary>The program BTF holding the key and value types, or null for a map without BTF.</summary>
    public BtfHandle? Btf { get; init; }
    public uint BtfKeyTypeId { get; init; }
    public uint BtfValueTypeId { get; init; }
    public ulong MapExtra { get; init; }
    /// <summary>For ARRAY_OF_MAPS and HASH_OF_MAPS: a map of the kind the outer map will hold (its template; it may be closed once the outer map exists).</summary>
    public BpfMap? InnerMap { get; init; }
}
