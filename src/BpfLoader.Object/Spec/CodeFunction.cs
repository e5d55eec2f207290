using BpfLoader.Object.Asm;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Elf;

namespace BpfLoader.Object.Spec;

/// <summary>One function symbol's code in an executable section, with the records that fall inside it (section-relative slots).</summary>
internal sealed class CodeFunction
{
    public required ElfSection Section { get; init; }
    public required string Name { get; init; }
    public required int Start { get; init; }
    public required Instruction[] Code { get; init; }
    public required bool IsGlobal { get; init; }
    public List<FuncInfo> FuncInfos { get; } = [];
    public List<LineInfo> LineInfos { get; } = [];
    public List<CoreRelocation> CoreRelocations { get; } = [];
    public Dictionary<int, ElfRelocation> Relocations { get; } = [];

    public bool Contains(int slot) => slot >= Start && slot < Start + Code.Length;
}
