using BpfLoader.Object.Btf;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Object.Spec;

/// <summary>
/// A map to create: from a BTF map definition in <c>.maps</c>, or a global-data section
/// (<c>.rodata*</c>, <c>.data*</c>, <c>.bss</c>) as a one-entry array whose value is the section.
/// Settable until the collection is loaded.
/// </summary>
public sealed class MapSpec
{
    /// <summary>BPF_F_RDONLY_PROG: programs may not write the map (read-only global data).</summary>
    public const uint FlagReadOnlyProgram = 0x80;

    /// <summary>A map definition with its name, type, key and value sizes and capacity.</summary>
    public MapSpec(string name, BpfMapType type, uint keySize, uint valueSize, uint maxEntries)
    {
        Name = name;
        Type = type;
        KeySize = keySize;
        ValueSize = valueSize;
        MaxEntries = maxEntries;
    }

    /// <summary>The symbol name for a <c>.maps</c> map, the section name (e.g. <c>.rodata</c>) for global data.</summary>
    public string Name { get; }
    /// <summary>The map type.</summary>
    public BpfMapType Type { get; set; }
    /// <summary>Bytes per key.</summary>
    public uint KeySize { get; set; }
    /// <summary>Bytes per value.</summary>
    public uint ValueSize { get; set; }
    /// <summary>The capacity in entries (bytes for a ring buffer).</summary>
    public uint MaxEntries { get; set; }
    /// <summary>BPF_F_* creation flags.</summary>
    public uint Flags { get; set; }
    /// <summary>The NUMA node, with BPF_F_NUMA_NODE.</summary>
    public uint NumaNode { get; set; }
    /// <summary>map_extra (a bloom filter's hash count).</summary>
    public ulong MapExtra { get; set; }
    /// <summary>LIBBPF_PIN_* from the definition's <c>pinning</c> member (0 = none).</summary>
    public uint Pinning { get; set; }

    /// <summary>BTF type id of the key in the object's BTF (0 if none); for global data, 0.</summary>
    public int BtfKeyTypeId { get; set; }
    /// <summary>BTF type id of the value (for global data, the section's DATASEC); 0 if none.</summary>
    public int BtfValueTypeId { get; set; }

    /// <summary>The ELF section the map came from (<c>.maps</c>, <c>.rodata</c>, ...).</summary>
    public string SectionName { get; init; } = "";
    /// <summary>For global data: the initial value of entry 0 (zeros for .bss). Null for other maps.</summary>
    public byte[]? Contents { get; init; }
    /// <summary>True for .rodata*: freeze the map (BPF_MAP_FREEZE) after writing <see cref="Contents"/>.</summary>
    public bool Freeze { get; init; }
    /// <summary>True for a global data section (.rodata, .data, .bss) made into a one-entry array.</summary>
    public bool IsGlobalData => Contents is not null;

    /// <summary>
    /// For ARRAY_OF_MAPS and HASH_OF_MAPS: the inner map's definition, from <c>__array(values, struct { ... })</c>.
    /// The loader creates it as a template (BPF_MAP_CREATE's inner_map_fd) and closes it once the outer map exists.
    /// </summary>
    public MapSpec? InnerMap { get; set; }

    /// <summary>
    /// Initial entries from the definition's <c>.values = { [i] = &amp;name }</c>: key index to the name of a map
    /// (for a map of maps) or of a program (for a prog array) of the same object; set after loading as libbpf does.
    /// </summary>
    public IDictionary<uint, string> InitialEntries { get; } = new SortedDictionary<uint, string>();

    /// <summary>Name, type, sizes, capacity and flags, for messages.</summary>
    public override string ToString() => $"{Name} {Type} key {KeySize} value {ValueSize} max {MaxEntries} flags 0x{Flags:x}";
}
