namespace BpfLoader.Object.Elf;

/// <summary>One Elf64_Rel entry: where in the target section, which symbol, and the BPF relocation type.</summary>
public readonly record struct ElfRelocation(ulong Offset, int SymbolIndex, uint Type)
{
    /// <summary>R_BPF_64_64: a 64-bit immediate load of a symbol's address (maps, global data).</summary>
    public const uint Bpf64_64 = 1;
    /// <summary>R_BPF_64_ABS64 / ABS32: data relocations in debug and BTF sections; ignored.</summary>
    public const uint Bpf64_Abs64 = 2, Bpf64_Abs32 = 3;
    /// <summary>R_BPF_64_NODYLD32: DWARF only.</summary>
    public const uint Bpf64_NoDyld32 = 4;
    /// <summary>R_BPF_64_32: a call immediate (BPF-to-BPF calls).</summary>
    public const uint Bpf64_32 = 10;
}
