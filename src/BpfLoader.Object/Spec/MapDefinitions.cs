using BpfLoader.Object.Btf;
using BpfLoader.Object.Elf;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Object.Spec;

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
        ElfSection maps = elf.Section(MapsSection)!;
        IReadOnlyList<ElfRelocation> relocations = elf.RelocationsFor(maps.Index);
        foreach (BtfDataSecVar v in btf.Type(secId).Variables)
        {
            BtfType var = btf.Type(v.TypeId);
            if (var.Kind != BtfKind.Var) throw new BpfObjectException($".maps entry {var} is not a VAR");
            MapSpec map = FromDefinition(btf, var.Name, var.TypeId, out ulong valuesOffset);
            if (valuesOffset != ulong.MaxValue)
                ReadInitialEntries(elf, maps, relocations, map, valuesOffset);
            yield return map;
        }
    }

    /// <summary>
    /// <c>.values = { [i] = &amp;x }</c> is a relocation in .maps at the i-th pointer of the flexible
    /// <c>values</c> array, against the symbol of map or program x (libbpf's bpf_object__collect_map_relos).
    /// </summary>
    private static void ReadInitialEntries(ElfObject elf, ElfSection maps, IReadOnlyList<ElfRelocation> relocations, MapSpec map, ulong valuesOffset)
    {
        ElfSymbol? own = elf.Symbols.FirstOrDefault(y => y.SectionIndex == maps.Index && y.Name == map.Name && y.Type != ElfSymbolType.Section);
        if (own is null) return;
        ulong start = own.Value + valuesOffset;
        foreach (ElfRelocation r in relocations)
        {
            if (r.Offset < start || r.Offset >= own.Value + Math.Max(own.Size, valuesOffset)) continue;
            if ((r.Offset - start) % 8 != 0) throw new BpfObjectException($"map {map.Name}: initial value at byte {r.Offset - own.Value} is not a pointer slot");
            ElfSymbol target = elf.Symbol(r.SymbolIndex);
            ulong slot = (r.Offset - start) / 8;
            if (slot > uint.MaxValue) throw new BpfObjectException($"map {map.Name}: initial value [{slot}] is past any key");
            uint index = (uint)slot;
            if (index >= map.MaxEntries && map.Type != BpfMapType.HashOfMaps)
                throw new BpfObjectException($"map {map.Name}: initial value [{index}] is past max_entries {map.MaxEntries}");
            bool isProgram = target.Type == ElfSymbolType.Func;
            if (isProgram != (map.Type == BpfMapType.ProgArray))
                throw new BpfObjectException($"map {map.Name} ({map.Type}): initial value [{index}] is {(isProgram ? "a program" : "not a program")}, '{target.Name}'");
            map.InitialEntries[index] = target.Name;
        }
    }

    /// <summary>A map definition; <paramref name="valuesOffset"/> is where its <c>values</c> member starts (ulong.MaxValue if none).</summary>
    private static MapSpec FromDefinition(BtfSpec btf, string name, int typeId, out ulong valuesOffset)
    {
        valuesOffset = ulong.MaxValue;
        BtfMember? values = null;
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
                    values = m;
                    valuesOffset = m.BitOffset / 8;
                    break;
                default:
                    throw new BpfObjectException($"map {name}: unknown definition member '{m.Name}'");
            }
        }
        if (map.Type == BpfMapType.Unspec) throw new BpfObjectException($"map {name}: definition has no type");
        if (values is { } v) ReadValuesMember(btf, name, map, v);
        return map;
    }

    /// <summary><c>__array(values, T)</c> is <c>T *values[]</c>: T the inner map's definition, or a function prototype for a prog array.</summary>
    private static void ReadValuesMember(BtfSpec btf, string name, MapSpec map, BtfMember m)
    {
        BtfType array = btf.SkipModifiersAndTypedefs(m.TypeId);
        if (array.Kind != BtfKind.Array) throw new BpfObjectException($"map {name}: member 'values' is not __array()");
        BtfType ptr = btf.SkipModifiersAndTypedefs(array.Array.ElementType);
        if (ptr.Kind != BtfKind.Pointer) throw new BpfObjectException($"map {name}: member 'values' is not an array of pointers");
        switch (map.Type)
        {
            case BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps:
                if (btf.SkipModifiersAndTypedefs(ptr.TypeId).Kind != BtfKind.Struct)
                    throw new BpfObjectException($"map {name}: 'values' of a map of maps must be __array(values, struct {{ ... }})");
                map.InnerMap = FromDefinition(btf, name + ".inner", ptr.TypeId, out _);
                break;
            case BpfMapType.ProgArray:
                if (btf.SkipModifiersAndTypedefs(ptr.TypeId).Kind != BtfKind.FuncProto)
                    throw new BpfObjectException($"map {name}: 'values' of a prog array must be __array(values, int (void *))");
                break;
            default:
                throw new BpfObjectException($"map {name}: {map.Type} maps take no 'values'");
        }
        // The value is a map or program fd.
        SetSize(map, name, isKey: false, 4);
        if (map.KeySize == 0) SetSize(map, name, isKey: true, 4);
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
