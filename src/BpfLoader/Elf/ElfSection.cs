namespace BpfLoader.Elf;

/// <summary>One section of the object: its header fields and its bytes (empty for SHT_NOBITS).</summary>
public sealed record ElfSection(
    int Index, string Name, uint Type, ulong Flags, ulong Size, uint Link, uint Info, ReadOnlyMemory<byte> Data)
{
    public const uint TypeProgBits = 1, TypeSymTab = 2, TypeStrTab = 3, TypeRel = 9, TypeNoBits = 8;
    public const ulong FlagWrite = 0x1, FlagAlloc = 0x2, FlagExecInstr = 0x4;

    public bool IsExecutable => Type == TypeProgBits && (Flags & FlagExecInstr) != 0;
}
