namespace BpfLoader.Btf;

/// <summary>enum bpf_core_relo_kind from linux/bpf.h.</summary>
public enum CoreRelocationKind
{
    FieldByteOffset = 0,
    FieldByteSize = 1,
    FieldExists = 2,
    FieldSigned = 3,
    FieldLShiftU64 = 4,
    FieldRShiftU64 = 5,
    TypeIdLocal = 6,
    TypeIdTarget = 7,
    TypeExists = 8,
    TypeSize = 9,
    EnumValueExists = 10,
    EnumValueValue = 11,
    TypeMatches = 12,
}
