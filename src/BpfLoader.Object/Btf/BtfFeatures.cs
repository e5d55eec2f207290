namespace BpfLoader.Object.Btf;

/// <summary>BTF kinds a kernel accepts beyond the 5.2 baseline; <see cref="BtfSpec.Marshal"/> rewrites what is missing.</summary>
[Flags]
public enum BtfFeatures
{
    /// <summary>Only the 5.2 baseline kinds.</summary>
    None = 0,
    /// <summary>BTF_KIND_FLOAT (5.13).</summary>
    Float = 1,
    /// <summary>BTF_KIND_DECL_TAG (5.16).</summary>
    DeclTag = 2,
    /// <summary>BTF_KIND_TYPE_TAG (5.17).</summary>
    TypeTag = 4,
    /// <summary>BTF_KIND_ENUM64 (6.0).</summary>
    Enum64 = 8,
    /// <summary>Every kind this loader knows.</summary>
    All = Float | DeclTag | TypeTag | Enum64,
}
