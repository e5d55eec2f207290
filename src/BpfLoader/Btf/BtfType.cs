namespace BpfLoader.Btf;

/// <summary>
/// One decoded BTF type. The common header (name, kind, vlen, kind flag, size-or-type) plus the
/// kind's trailing data; lists not used by a kind are empty.
/// </summary>
public sealed class BtfType
{
    public int Id { get; }
    public BtfKind Kind { get; }
    public string Name { get; }
    public bool KindFlag { get; }
    public int VLen { get; }
    /// <summary>The raw size_or_type word: a byte size for INT, STRUCT, UNION, ENUM*, DATASEC, FLOAT; a type id otherwise.</summary>
    public uint SizeOrType { get; }

    public uint Size => SizeOrType;
    public int TypeId => (int)SizeOrType;

    /// <summary>INT: BTF_INT_SIGNED (1), BTF_INT_CHAR (2), BTF_INT_BOOL (4).</summary>
    public int IntEncoding { get; init; }
    public int IntOffset { get; init; }
    public int IntBits { get; init; }
    public BtfArrayInfo Array { get; init; }
    public IReadOnlyList<BtfMember> Members { get; init; } = [];
    public IReadOnlyList<BtfEnumValue> EnumValues { get; init; } = [];
    public IReadOnlyList<BtfParam> Params { get; init; } = [];
    public IReadOnlyList<BtfDataSecVar> Variables { get; init; } = [];
    /// <summary>VAR: 0 static, 1 global, 2 extern. FUNC: the same, in VLen.</summary>
    public uint Linkage { get; init; }
    /// <summary>DECL_TAG: -1 for the type itself, else the member or parameter index.</summary>
    public int ComponentIndex { get; init; }

    public BtfType(int id, BtfKind kind, string name, bool kindFlag, int vlen, uint sizeOrType)
    {
        Id = id;
        Kind = kind;
        Name = name;
        KindFlag = kindFlag;
        VLen = vlen;
        SizeOrType = sizeOrType;
    }

    public bool IsComposite => Kind is BtfKind.Struct or BtfKind.Union;
    public bool IsAnyEnum => Kind is BtfKind.Enum or BtfKind.Enum64;
    public bool IsSignedInt => Kind == BtfKind.Int && (IntEncoding & 1) != 0;

    /// <summary>Kinds that only qualify or rename another type.</summary>
    public bool IsModifierOrTypedef => Kind is BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict or BtfKind.TypeTag;

    public override string ToString() => $"[{Id}] {Kind} '{Name}'";
}
