namespace BpfLoader.Object.Btf;

/// <summary>
/// A CO-RE access string walked through one BTF (libbpf's bpf_core_spec): the named steps (fields
/// by name, array indexes), the raw indexes, and the accumulated bit offset. The local spec comes
/// from parsing; a target spec from matching the local one against a candidate type.
/// </summary>
internal sealed class CoreAccessSpec
{
    /// <summary>One step: the containing type (composite, array element, or enum) and the index into it.</summary>
    internal readonly record struct Step(int TypeId, int Index, string? Name);

    public BtfSpec Btf { get; }
    public int RootTypeId { get; }
    public List<Step> Steps { get; } = [];
    public List<int> Raw { get; } = [];
    public long BitOffset { get; set; }

    public CoreAccessSpec(BtfSpec btf, int rootTypeId)
    {
        Btf = btf;
        RootTypeId = rootTypeId;
    }

    public static bool IsFieldBased(CoreRelocationKind kind) => kind <= CoreRelocationKind.FieldRShiftU64;
    public static bool IsTypeBased(CoreRelocationKind kind) => kind is >= CoreRelocationKind.TypeIdLocal and <= CoreRelocationKind.TypeSize or CoreRelocationKind.TypeMatches;
    public static bool IsEnumValueBased(CoreRelocationKind kind) => kind is CoreRelocationKind.EnumValueExists or CoreRelocationKind.EnumValueValue;

    /// <summary>bpf_core_parse_spec: walks "0:1:2" through the local type.</summary>
    public static CoreAccessSpec Parse(BtfSpec btf, int typeId, string access, CoreRelocationKind kind)
    {
        var spec = new CoreAccessSpec(btf, typeId);
        if (string.IsNullOrEmpty(access)) throw new CoreRelocationException($"empty CO-RE access string for type {typeId}");
        foreach (string part in access.Split(':'))
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
                throw new CoreRelocationException($"CO-RE access string '{access}' is malformed");
            spec.Raw.Add(index);
        }
        if (IsTypeBased(kind))
        {
            if (access != "0") throw new CoreRelocationException($"type relocation has access string '{access}', expected '0'");
            return spec;
        }
        int id = typeId;
        BtfType t = Skip(btf, ref id);
        if (IsEnumValueBased(kind))
        {
            if (!t.IsAnyEnum || spec.Raw.Count > 1 || spec.Raw[0] >= t.EnumValues.Count)
                throw new CoreRelocationException($"enum relocation '{access}' does not fit {t}");
            spec.Steps.Add(new Step(id, spec.Raw[0], t.EnumValues[spec.Raw[0]].Name));
            return spec;
        }
        spec.Steps.Add(new Step(id, spec.Raw[0], null));
        spec.BitOffset = spec.Raw[0] * (long)btf.ResolveSize(id) * 8;
        for (int i = 1; i < spec.Raw.Count; i++)
        {
            t = Skip(btf, ref id);
            int index = spec.Raw[i];
            if (t.IsComposite)
            {
                if (index >= t.Members.Count) throw new CoreRelocationException($"access '{access}' member {index} is out of {t}");
                BtfMember m = t.Members[index];
                spec.BitOffset += m.BitOffset;
                if (m.Name.Length > 0) spec.Steps.Add(new Step(id, index, m.Name));
                id = m.TypeId;
            }
            else if (t.Kind == BtfKind.Array)
            {
                bool flex = IsFlexibleArray(btf, spec.Steps[^1], t);
                Skip(btf, ref id, t.Array.ElementType);
                if (!flex && index >= t.Array.Count) throw new CoreRelocationException($"access '{access}' index {index} is out of {t}");
                spec.Steps.Add(new Step(id, index, null));
                spec.BitOffset += index * (long)btf.ResolveSize(id) * 8;
            }
            else
            {
                throw new CoreRelocationException($"access '{access}' steps into {t}, which is neither struct, union nor array");
            }
        }
        return spec;
    }

    /// <summary>A zero-length array that is the last member of the struct holding it.</summary>
    internal static bool IsFlexibleArray(BtfSpec btf, Step container, BtfType array)
    {
        if (array.Array.Count != 0 || container.Name is null) return false;
        BtfType holder = btf.Type(container.TypeId);
        return holder.IsComposite && container.Index == holder.Members.Count - 1;
    }

    internal static BtfType Skip(BtfSpec btf, ref int id, int from)
    {
        id = from;
        return Skip(btf, ref id);
    }

    internal static BtfType Skip(BtfSpec btf, ref int id) => btf.SkipModifiersAndTypedefs(ref id);

    /// <summary>How a person writes the access: <c>struct sock::__sk_common.skc_family</c>.</summary>
    public string Describe(CoreRelocationKind kind)
    {
        BtfType root = Btf.Type(RootTypeId);
        string text = $"{KindWord(root)}{root.Name}";
        if (IsTypeBased(kind) || Steps.Count == 0) return text;
        if (IsEnumValueBased(kind)) return $"{text}::{Steps[0].Name}";
        var path = new System.Text.StringBuilder();
        if (Steps[0].Index != 0) path.Append('[').Append(Steps[0].Index).Append(']');
        for (int i = 1; i < Steps.Count; i++)
        {
            if (Steps[i].Name is { } name) path.Append(path.Length > 0 ? "." : "").Append(name);
            else path.Append('[').Append(Steps[i].Index).Append(']');
        }
        return path.Length == 0 ? text : $"{text}::{path}";
    }

    private static string KindWord(BtfType t) => t.Kind switch
    {
        BtfKind.Struct => "struct ",
        BtfKind.Union => "union ",
        BtfKind.Enum or BtfKind.Enum64 => "enum ",
        BtfKind.Typedef => "typedef ",
        _ => "",
    };
}
