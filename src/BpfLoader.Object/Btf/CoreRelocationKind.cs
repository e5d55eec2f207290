namespace BpfLoader.Object.Btf;

/// <summary>enum bpf_core_relo_kind from linux/bpf.h.</summary>
public enum CoreRelocationKind
{
    /// <summary>BPF_CORE_FIELD_BYTE_OFFSET: a field's offset in bytes.</summary>
    FieldByteOffset = 0,
    /// <summary>BPF_CORE_FIELD_BYTE_SIZE: a field's size in bytes.</summary>
    FieldByteSize = 1,
    /// <summary>BPF_CORE_FIELD_EXISTS: 1 if the kernel's type has the field.</summary>
    FieldExists = 2,
    /// <summary>BPF_CORE_FIELD_SIGNED: 1 if the field is signed.</summary>
    FieldSigned = 3,
    /// <summary>BPF_CORE_FIELD_LSHIFT_U64: the left shift that brings a bitfield to the top of a u64.</summary>
    FieldLShiftU64 = 4,
    /// <summary>BPF_CORE_FIELD_RSHIFT_U64: the right shift that then brings it down.</summary>
    FieldRShiftU64 = 5,
    /// <summary>BPF_CORE_TYPE_ID_LOCAL: the type's id in the object's BTF.</summary>
    TypeIdLocal = 6,
    /// <summary>BPF_CORE_TYPE_ID_TARGET: the type's id in the kernel's BTF.</summary>
    TypeIdTarget = 7,
    /// <summary>BPF_CORE_TYPE_EXISTS: 1 if the kernel has the type.</summary>
    TypeExists = 8,
    /// <summary>BPF_CORE_TYPE_SIZE: the type's size in the kernel.</summary>
    TypeSize = 9,
    /// <summary>BPF_CORE_ENUMVAL_EXISTS: 1 if the kernel's enum has the value.</summary>
    EnumValueExists = 10,
    /// <summary>BPF_CORE_ENUMVAL_VALUE: the enum value's number in the kernel.</summary>
    EnumValueValue = 11,
    /// <summary>BPF_CORE_TYPE_MATCHES: 1 if the kernel's type matches the local one in layout.</summary>
    TypeMatches = 12,
}
