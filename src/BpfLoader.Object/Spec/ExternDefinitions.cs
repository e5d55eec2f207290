using BpfLoader.Object.Btf;
using BpfLoader.Object.Elf;

namespace BpfLoader.Object.Spec;

/// <summary>
/// Finds the object's externs as libbpf does (bpf_object__collect_externs): VARs of the <c>.kconfig</c>
/// and <c>.ksyms</c> DATASECs and extern FUNCs, and lays the kconfig values out in one map value.
/// </summary>
internal static class ExternDefinitions
{
    public const string KsymsSection = ".ksyms";
    private const uint ExternLinkage = 2;   // BTF_VAR_GLOBAL_EXTERN, BTF_FUNC_EXTERN

    /// <summary>The externs by name, and the size of the .kconfig value (0 without kconfig externs).</summary>
    public static (Dictionary<string, ExternSpec> Externs, int KconfigSize) Collect(ElfObject elf, BtfSpec? btf)
    {
        var externs = new Dictionary<string, ExternSpec>(StringComparer.Ordinal);
        if (btf is null) return (externs, 0);
        var weak = new HashSet<string>(StringComparer.Ordinal);
        foreach (ElfSymbol y in elf.Symbols)
            if (y.SectionIndex == 0 && y.Binding == ElfSymbolBinding.Weak && y.Name.Length > 0) weak.Add(y.Name);

        int kconfigSize = 0;
        if (btf.TryFindTypeId(ExternSpec.KconfigMapName, BtfKind.DataSec, out int kconfigId))
        {
            foreach (BtfDataSecVar entry in btf.Type(kconfigId).Variables)
            {
                BtfType v = btf.Type(entry.TypeId);
                if (v.Kind != BtfKind.Var) throw new BpfObjectException($"{ExternSpec.KconfigMapName} entry {v} is not a VAR");
                ulong declared = btf.ResolveSize(v.TypeId);
                if (declared == 0 || declared > MapDefinitions.MaxDataSectionSize)
                    throw new BpfObjectException($"extern __kconfig {v.Name} has a size of {declared} bytes");
                int size = (int)declared;
                int align = Alignment(btf, v.TypeId);
                kconfigSize = (kconfigSize + align - 1) / align * align;
                if ((ulong)kconfigSize + declared > MapDefinitions.MaxDataSectionSize)
                    throw new BpfObjectException($"the __kconfig externs take more than {MapDefinitions.MaxDataSectionSize} bytes");
                Add(externs, new ExternSpec(v.Name, ExternKind.Kconfig, weak.Contains(v.Name), v.Id, kconfigSize, size));
                kconfigSize += size;
            }
        }
        if (btf.TryFindTypeId(KsymsSection, BtfKind.DataSec, out int ksymsId))
        {
            foreach (BtfDataSecVar entry in btf.Type(ksymsId).Variables)
            {
                BtfType v = btf.Type(entry.TypeId);
                if (v.Kind == BtfKind.Func) continue;   // collected below with every extern FUNC
                if (v.Kind != BtfKind.Var) throw new BpfObjectException($"{KsymsSection} entry {v} is neither a VAR nor a FUNC");
                int typeId = v.TypeId;
                btf.SkipModifiersAndTypedefs(ref typeId);
                Add(externs, new ExternSpec(v.Name, ExternKind.Ksym, weak.Contains(v.Name), v.Id, 0, 0) { IsUntyped = typeId == 0 });
            }
        }
        for (int id = 1; id < btf.TypeCount; id++)
        {
            BtfType t = btf.Type(id);
            if (t.Kind == BtfKind.Func && t.Linkage == ExternLinkage)
                Add(externs, new ExternSpec(t.Name, ExternKind.Kfunc, weak.Contains(t.Name), id, 0, 0));
        }
        return (externs, kconfigSize);
    }

    private static void Add(Dictionary<string, ExternSpec> externs, ExternSpec e)
    {
        if (!externs.TryAdd(e.Name, e)) throw new BpfObjectException($"extern {e.Name} is declared twice");
    }

    /// <summary>Natural alignment, as the compiler would place the value: scalars by size (up to 8), arrays by element.</summary>
    private static int Alignment(BtfSpec btf, int typeId)
    {
        for (int depth = 0; depth < 32; depth++)
        {
            BtfType t = btf.SkipModifiersAndTypedefs(ref typeId);
            switch (t.Kind)
            {
                case BtfKind.Int or BtfKind.Enum or BtfKind.Enum64 or BtfKind.Float:
                    return (int)Math.Clamp(t.Size, 1u, 8u);
                case BtfKind.Pointer:
                    return 8;
                case BtfKind.Array:
                    typeId = t.Array.ElementType;
                    continue;
                default:
                    return 8;
            }
        }
        return 8;
    }
}
