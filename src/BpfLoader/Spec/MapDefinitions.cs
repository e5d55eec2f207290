using BpfLoader.Btf;
using BpfLoader.Elf;

namespace BpfLoader.Spec;

/// <summary>Reads the maps of an object: BTF map definitions in <c>.maps</c> and global-data sections.</summary>
internal static class MapDefinitions
{
    public const string MapsSection = ".maps";

    /// <summary>
    /// The largest global-data section we take. The kernel refuses array values over KMALLOC_MAX_SIZE
    /// (4 MiB with 4 KiB pages); a .bss has no bytes in the file, so its declared size alone would
    /// otherwise decide what parsing allocates.
    /// </summary>
    internal const ulong MaxDataSectionSize = 16 << 20;

    public static bool IsGlobalDataSection(ElfSection s) =>
        (s.Type is ElfSection.TypeProgBits or ElfSection.TypeNoBits) && (s.Flags & ElfSection.FlagAlloc) != 0 && !s.IsExecutable
        && (s.Name.StartsWith(".rodata", StringComparison.Ordinal) || s.Name.StartsWith(".data", StringComparison.Ordinal)
            || s.Name.StartsWith(".bss", StringComparison.Ordinal));

    /// <summary>Each VAR of the .maps DATASEC is a struct of <c>__uint</c> / <c>__type</c> members.</summary>
    public static IEnumerable<MapSpec> FromBtf(ElfObject elf, BtfSpec? btf)
    {
        if (elf.Section(MapsSection) is null) yield break;
        if (btf is null) throw new BpfObjectException("the object has a .maps section but no BTF to describe it");
        if (!btf.TryFindTypeId(MapsSection, BtfKind.DataSec, out int secId))
            throw new BpfObjectException("the object has a .maps section but no .maps DATASEC in its BTF");
        foreach (BtfDataSecVar v in btf.Type(secId).Variables)
        {
            BtfType var = btf.Type(v.TypeId);
            if (var.Kind != BtfKind.Var) throw new BpfObjectException($".maps entry {var} is not a VAR");
            yield return FromDefinition(btf, var.Name, var.TypeId);
        }
    }

    private static MapSpec FromDefinition(BtfSpec btf, string name, int typeId)
    {
        BtfType def = btf.SkipModifiersAndTypedefs(typeId);
        if (def.Kind != BtfKind.Struct) throw new BpfObjectException($"map {name}: definition {def} is not a struct");
        var map = new MapSpec(name, BpfMapType.Unspec, 0, 0, 0) { SectionName = MapsSection };
        foreach (BtfMember m in def.Members)
        {
            switch (m.Name)
            {
                case "type": map.Type = (BpfMapType)UintMember(btf, name, m); break;
                case "max_entries": map.MaxEntries = UintMember(btf, name, m); break;
                case "map_flags": map.Flags = UintMember(btf, name, m); break;
                case "numa_node": map.NumaNode = UintMember(btf, name, m); break;
                case "map_extra": map.MapExtra = UintMember(btf, name, m); break;
                case "pinning": map.Pinning = UintMember(btf, name, m); break;
                case "key_size": SetSize(map, name, isKey: true, UintMember(btf, name, m)); break;
                case "value_size": SetSize(map, name, isKey: false, UintMember(btf, name, m)); break;
                case "key":
                    map.BtfKeyTypeId = PointeeType(btf, name, m);
                    SetSize(map, name, isKey: true, checked((uint)btf.ResolveSize(map.BtfKeyTypeId)));
                    break;
                case "value":
                    map.BtfValueTypeId = PointeeType(btf, name, m);
                    SetSize(map, name, isKey: false, checked((uint)btf.ResolveSize(map.BtfValueTypeId)));
                    break;
                case "values":
                    throw new BpfObjectException($"map {name}: initial 'values' (map-in-map, prog arrays) are not supported");
                default:
                    throw new BpfObjectException($"map {name}: unknown definition member '{m.Name}'");
            }
        }
        if (map.Type == BpfMapType.Unspec) throw new BpfObjectException($"map {name}: definition has no type");
        return map;
    }

    private static void SetSize(MapSpec map, string name, bool isKey, uint size)
    {
        uint current = isKey ? map.KeySize : map.ValueSize;
        if (current != 0 && current != size)
            throw new BpfObjectException($"map {name}: {(isKey ? "key" : "value")} size given twice, {current} and {size}");
        if (isKey) map.KeySize = size;
        else map.ValueSize = size;
    }

    /// <summary><c>__uint(name, val)</c> is <c>int (*name)[val]</c>: a pointer to an array of val elements.</summary>
    private static uint UintMember(BtfSpec btf, string map, BtfMember m)
    {
        BtfType ptr = btf.SkipModifiersAndTypedefs(m.TypeId);
        if (ptr.Kind != BtfKind.Pointer) throw new BpfObjectException($"map {map}: member '{m.Name}' is not __uint()");
        BtfType array = btf.SkipModifiersAndTypedefs(ptr.TypeId);
        if (array.Kind != BtfKind.Array) throw new BpfObjectException($"map {map}: member '{m.Name}' is not __uint()");
        return array.Array.Count;
    }

    /// <summary><c>__type(name, T)</c> is <c>T *name</c>.</summary>
    private static int PointeeType(BtfSpec btf, string map, BtfMember m)
    {
        BtfType ptr = btf.SkipModifiersAndTypedefs(m.TypeId);
        if (ptr.Kind != BtfKind.Pointer) throw new BpfObjectException($"map {map}: member '{m.Name}' is not __type()");
        return ptr.TypeId;
    }

    /// <summary>A global-data section as a one-entry array: key 4 bytes, value the section.</summary>
    public static MapSpec FromDataSection(ElfSection s, BtfSpec? btf)
    {
        bool readOnly = s.Name.StartsWith(".rodata", StringComparison.Ordinal);
        if (s.Size > MaxDataSectionSize)
            throw new BpfObjectException($"section {s.Name} declares {s.Size} bytes, more than the {MaxDataSectionSize} a map value may hold");
        byte[] contents = s.Type == ElfSection.TypeNoBits ? new byte[(int)s.Size] : s.Data.ToArray();
        int valueType = btf is not null && btf.TryFindTypeId(s.Name, BtfKind.DataSec, out int id) ? id : 0;
        return new MapSpec(s.Name, BpfMapType.Array, 4, checked((uint)contents.Length), 1)
        {
            SectionName = s.Name,
            Contents = contents,
            Freeze = readOnly,
            Flags = readOnly ? MapSpec.FlagReadOnlyProgram : 0,
            BtfValueTypeId = valueType,
        };
    }
}
