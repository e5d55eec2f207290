namespace BpfLoader.Object.Elf;

/// <summary>One section of the object: its header fields and its bytes (empty for SHT_NOBITS).</summary>
public sealed record ElfSection(
    int Index, string Name, uint Type, ulong Flags, ulong Size, uint Link, uint Info, ReadOnlyMemory<byte> Data)
{
    /// <summary>Section types (SHT_*): program bits, symbol table, string table, relocations without addend, no bits.</summary>
    public const uint TypeProgBits = 1, TypeSymTab = 2, TypeStrTab = 3, TypeRel = 9, TypeNoBits = 8;
    /// <summary>Section flags (SHF_*): writable, allocated, executable.</summary>
    public const ulong FlagWrite = 0x1, FlagAlloc = 0x2, FlagExecInstr = 0x4;

    /// <summary>True for a code section: program bits marked executable.</summary>
    public bool IsExecutable => Type == TypeProgBits && (Flags & FlagExecInstr) != 0;
}
