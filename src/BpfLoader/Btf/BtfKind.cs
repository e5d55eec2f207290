namespace BpfLoader.Btf;

/// <summary>BTF_KIND_* from linux/btf.h.</summary>
public enum BtfKind
{
    Void = 0, Int = 1, Pointer = 2, Array = 3, Struct = 4, Union = 5, Enum = 6, Forward = 7, Typedef = 8,
    Volatile = 9, Const = 10, Restrict = 11, Func = 12, FuncProto = 13, Var = 14, DataSec = 15, Float = 16,
    DeclTag = 17, TypeTag = 18, Enum64 = 19,
}
