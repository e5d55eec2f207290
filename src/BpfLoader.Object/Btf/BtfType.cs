namespace BpfLoader.Object.Btf;

/// <summary>
/// One decoded BTF type. The common header (name, kind, vlen, kind flag, size-or-type) plus the
/// kind's trailing data; lists not used by a kind are empty.
/// </summary>
public sealed class BtfType
{
    /// <summary>The type's id in its BTF (1-based; 0 is void).</summary>
    public int Id { get; }
    /// <summary>What kind of type this is.</summary>
    public BtfKind Kind { get; }
    /// <summary>The type's name; empty for anonymous types.</summary>
    public string Name { get; }
    /// <summary>The kind_flag bit: bitfield offsets in members, a union forward, a signed enum.</summary>
    public bool KindFlag { get; }
    /// <summary>vlen: how many members, enum values, parameters or variables follow.</summary>
    public int VLen { get; }
    /// <summary>The raw size_or_type word: a byte size for INT, STRUCT, UNION, ENUM*, DATASEC, FLOAT; a type id otherwise.</summary>
    public uint SizeOrType { get; }

    /// <summary>The size in bytes, for ints, structs, unions, enums, datasecs and floats.</summary>
    public uint Size => SizeOrType;
    /// <summary>The referenced type id, for pointers, typedefs, qualifiers, functions and variables.</summary>
    public int TypeId => (int)SizeOrType;

    /// <summary>INT: BTF_INT_SIGNED (1), BTF_INT_CHAR (2), BTF_INT_BOOL (4).</summary>
    public int IntEncoding { get; init; }
    /// <summary>An int's bit offset (BTF_INT_OFFSET).</summary>
    public int IntOffset { get; init; }
    /// <summary>An int's width in bits (BTF_INT_BITS).</summary>
    public int IntBits { get; init; }
    /// <summary>An array's element type, index type and length.</summary>
    public BtfArrayInfo Array { get; init; }
    /// <summary>A struct's or union's members.</summary>
    public IReadOnlyList<BtfMember> Members { get; init; } = [];
    /// <summary>An enum's or enum64's values.</summary>
    public IReadOnlyList<BtfEnumValue> EnumValues { get; init; } = [];
    /// <summary>A function prototype's parameters.</summary>
    public IReadOnlyList<BtfParam> Params { get; init; } = [];
    /// <summary>A datasec's variables with their offsets and sizes.</summary>
    public IReadOnlyList<BtfDataSecVar> Variables { get; init; } = [];
    /// <summary>VAR: 0 static, 1 global, 2 extern. FUNC: the same, in VLen.</summary>
    public uint Linkage { get; init; }
    /// <summary>DECL_TAG: -1 for the type itself, else the member or parameter index.</summary>
    public int ComponentIndex { get; init; }

    /// <summary>A type as read from a btf_type header: its id, kind, name, kind_flag, vlen and size-or-type field.</summary>
    public BtfType(int id, BtfKind kind, string name, bool kindFlag, int vlen, uint sizeOrType)
    {
        Id = id;
        Kind = kind;
        Name = name;
        KindFlag = kindFlag;
        VLen = vlen;
        SizeOrType = sizeOrType;
    }

    /// <summary>True for structs and unions.</summary>
    public bool IsComposite => Kind is BtfKind.Struct or BtfKind.Union;
    /// <summary>True for enums of either width.</summary>
    public bool IsAnyEnum => Kind is BtfKind.Enum or BtfKind.Enum64;
    /// <summary>True for an int with the BTF_INT_SIGNED encoding.</summary>
    public bool IsSignedInt => Kind == BtfKind.Int && (IntEncoding & 1) != 0;

    /// <summary>Kinds that only qualify or rename another type.</summary>
    public bool IsModifierOrTypedef => Kind is BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict or BtfKind.TypeTag;

    /// <summary>Id, kind and name, for messages.</summary>
    public override string ToString() => $"[{Id}] {Kind} '{Name}'";
}
