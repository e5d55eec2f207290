namespace BpfLoader.Elf;

/// <summary>One symbol-table entry (Elf64_Sym).</summary>
public sealed record ElfSymbol(int Index, string Name, ulong Value, ulong Size, ElfSymbolType Type, ElfSymbolBinding Binding, int SectionIndex);

public enum ElfSymbolType { NoType = 0, Object = 1, Func = 2, Section = 3, File = 4 }

public enum ElfSymbolBinding { Local = 0, Global = 1, Weak = 2 }
