namespace BpfLoader.Object.Elf;

/// <summary>One symbol-table entry (Elf64_Sym).</summary>
public sealed record ElfSymbol(int Index, string Name, ulong Value, ulong Size, ElfSymbolType Type, ElfSymbolBinding Binding, int SectionIndex);

/// <summary>A symbol's type (STT_*).</summary>
public enum ElfSymbolType
{
    /// <summary>STT_NOTYPE: unspecified (externs, labels).</summary>
    NoType = 0,
    /// <summary>STT_OBJECT: a variable or map definition.</summary>
    Object = 1,
    /// <summary>STT_FUNC: a function.</summary>
    Func = 2,
    /// <summary>STT_SECTION: the section itself.</summary>
    Section = 3,
    /// <summary>STT_FILE: the source file's name.</summary>
    File = 4,
}

/// <summary>A symbol's binding (STB_*).</summary>
public enum ElfSymbolBinding
{
    /// <summary>STB_LOCAL: visible in this object only.</summary>
    Local = 0,
    /// <summary>STB_GLOBAL: visible to other objects.</summary>
    Global = 1,
    /// <summary>STB_WEAK: global, and may be left undefined.</summary>
    Weak = 2,
}
