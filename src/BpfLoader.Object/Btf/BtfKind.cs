namespace BpfLoader.Object.Btf;

/// <summary>BTF_KIND_* from linux/btf.h.</summary>
public enum BtfKind
{
    /// <summary>BTF_KIND_UNKN: void (type id 0).</summary>
    Void = 0,
    /// <summary>BTF_KIND_INT: an integer with size, bit offset and encoding.</summary>
    Int = 1,
    /// <summary>BTF_KIND_PTR: a pointer.</summary>
    Pointer = 2,
    /// <summary>BTF_KIND_ARRAY: an array.</summary>
    Array = 3,
    /// <summary>BTF_KIND_STRUCT: a struct.</summary>
    Struct = 4,
    /// <summary>BTF_KIND_UNION: a union.</summary>
    Union = 5,
    /// <summary>BTF_KIND_ENUM: an enum of 32-bit values.</summary>
    Enum = 6,
    /// <summary>BTF_KIND_FWD: a forward declaration of a struct or union.</summary>
    Forward = 7,
    /// <summary>BTF_KIND_TYPEDEF: a typedef.</summary>
    Typedef = 8,
    /// <summary>BTF_KIND_VOLATILE: a volatile qualifier.</summary>
    Volatile = 9,
    /// <summary>BTF_KIND_CONST: a const qualifier.</summary>
    Const = 10,
    /// <summary>BTF_KIND_RESTRICT: a restrict qualifier.</summary>
    Restrict = 11,
    /// <summary>BTF_KIND_FUNC: a function (name, linkage, prototype).</summary>
    Func = 12,
    /// <summary>BTF_KIND_FUNC_PROTO: a function prototype.</summary>
    FuncProto = 13,
    /// <summary>BTF_KIND_VAR: a global variable.</summary>
    Var = 14,
    /// <summary>BTF_KIND_DATASEC: a data section and its variables.</summary>
    DataSec = 15,
    /// <summary>BTF_KIND_FLOAT: a floating-point type.</summary>
    Float = 16,
    /// <summary>BTF_KIND_DECL_TAG: a btf_decl_tag attribute.</summary>
    DeclTag = 17,
    /// <summary>BTF_KIND_TYPE_TAG: a btf_type_tag attribute.</summary>
    TypeTag = 18,
    /// <summary>BTF_KIND_ENUM64: an enum of 64-bit values.</summary>
    Enum64 = 19,
}
