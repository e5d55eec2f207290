namespace BpfLoader.Object.Btf;

/// <summary>bpf_func_info: the FUNC type of the function starting at an instruction.</summary>
// Instruction is an index: the ELF stores bytes, the kernel wants indexes.
public readonly record struct FuncInfo(int Instruction, int TypeId);

/// <summary>bpf_line_info: source position of an instruction; strings are offsets into the object's BTF.</summary>
public readonly record struct LineInfo(int Instruction, uint FileNameOffset, uint LineOffset, uint LineColumn)
{
    /// <summary>The 1-based source line (the upper 22 bits of line_col).</summary>
    public uint Line => LineColumn >> 10;
    /// <summary>The source column (the lower 10 bits of line_col).</summary>
    public uint Column => LineColumn & 0x3ff;
}

/// <summary>bpf_core_relo: a CO-RE relocation of one instruction against a local type and access string.</summary>
public readonly record struct CoreRelocation(int Instruction, int TypeId, string Access, CoreRelocationKind Kind);
