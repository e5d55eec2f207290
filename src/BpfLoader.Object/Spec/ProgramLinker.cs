using BpfLoader.Object.Asm;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Elf;

namespace BpfLoader.Object.Spec;

/// <summary>
/// Splits executable sections into functions and links each program: called functions are
/// appended (each once, recursively), calls and function pointers re-aimed, map references recorded,
/// func/line info and CO-RE records moved to the linked instruction indexes.
/// </summary>
internal sealed class ProgramLinker
{
    private const string TextSection = ".text";

    private readonly ElfObject _elf;
    private readonly BtfExt _ext;
    private readonly IReadOnlyDictionary<string, MapSpec> _maps;
    private readonly IReadOnlyDictionary<string, ExternSpec> _externs;
    private readonly Dictionary<int, List<CodeFunction>> _functionsBySection = [];

    public ProgramLinker(ElfObject elf, BtfExt ext, IReadOnlyDictionary<string, MapSpec> maps, IReadOnlyDictionary<string, ExternSpec> externs)
    {
        _externs = externs;
        _elf = elf;
        _ext = ext;
        _maps = maps;
        foreach (ElfSection s in elf.Sections)
            if (s.IsExecutable && s.Size > 0) _functionsBySection[s.Index] = SplitSection(s);
    }

    /// <summary>The functions that are programs: every function in an executable section other than .text.</summary>
    public IEnumerable<CodeFunction> Entries =>
        _functionsBySection.Values.SelectMany(f => f).Where(f => f.Section.Name != TextSection);

    private List<CodeFunction> SplitSection(ElfSection s)
    {
        Instruction[] code = Instruction.DecodeAll(s.Data.Span);
        var symbols = new List<ElfSymbol>();
        foreach (ElfSymbol sym in _elf.Symbols)
        {
            if (sym.SectionIndex != s.Index || sym.Type != ElfSymbolType.Func) continue;
            if (sym.Value % Instruction.Size != 0 || sym.Size % Instruction.Size != 0 || sym.Size == 0
                || sym.Value > (ulong)s.Data.Length || sym.Size > (ulong)s.Data.Length - sym.Value)
                throw new BpfObjectException($"function {sym.Name} (offset {sym.Value}, size {sym.Size}) does not fit section {s.Name}");
            symbols.Add(sym);
        }
        // Overlaps are refused before any code is copied: copies of overlapping functions could cost the square of the section.
        symbols.Sort((a, b) => a.Value.CompareTo(b.Value));
        for (int i = 1; i < symbols.Count; i++)
            if (symbols[i].Value < symbols[i - 1].Value + symbols[i - 1].Size)
                throw new BpfObjectException($"functions {symbols[i - 1].Name} and {symbols[i].Name} overlap in {s.Name}");
        var functions = new List<CodeFunction>(symbols.Count);
        foreach (ElfSymbol sym in symbols)
        {
            int start = (int)(sym.Value / Instruction.Size);
            functions.Add(new CodeFunction
            {
                Section = s,
                Name = sym.Name,
                Start = start,
                Code = code.AsSpan(start, (int)(sym.Size / Instruction.Size)).ToArray(),
                IsGlobal = sym.Binding != ElfSymbolBinding.Local,
            });
        }

        foreach (ElfRelocation r in _elf.RelocationsFor(s.Index))
        {
            if (r.Offset % Instruction.Size != 0) throw new BpfObjectException($"relocation at {s.Name}+{r.Offset} is not on an instruction");
            int slot = (int)(r.Offset / Instruction.Size);
            CodeFunction owner = Owner(functions, slot, s, "relocation");
            owner.Relocations[slot - owner.Start] = r;
        }
        foreach (FuncInfo f in _ext.FuncInfos(s.Name))
        {
            CodeFunction owner = Owner(functions, f.Instruction, s, "func_info");
            owner.FuncInfos.Add(f with { Instruction = f.Instruction - owner.Start });
        }
        foreach (LineInfo l in _ext.LineInfos(s.Name))
        {
            CodeFunction owner = Owner(functions, l.Instruction, s, "line_info");
            owner.LineInfos.Add(l with { Instruction = l.Instruction - owner.Start });
        }
        foreach (CoreRelocation c in _ext.CoreRelocations(s.Name))
        {
            CodeFunction owner = Owner(functions, c.Instruction, s, "CO-RE relocation");
            owner.CoreRelocations.Add(c with { Instruction = c.Instruction - owner.Start });
        }
        return functions;
    }

    private static CodeFunction Owner(List<CodeFunction> functions, int slot, ElfSection s, string what) =>
        functions.Find(f => f.Contains(slot))
        ?? throw new BpfObjectException($"{what} at instruction {slot} of {s.Name} lies in no function");

    /// <summary>The entry followed by everything it calls, with all references resolved.</summary>
    public ProgramSpec Link(CodeFunction entry, string license, uint kernelVersion, BtfSpec? btf)
    {
        var output = new List<Instruction>(entry.Code);
        var placed = new Dictionary<CodeFunction, int> { [entry] = 0 };
        var order = new List<CodeFunction> { entry };
        var mapRefs = new List<MapReference>();
        var funcInfos = new List<FuncInfo>();
        var lineInfos = new List<LineInfo>();
        var core = new List<CoreRelocation>();
        var externRefs = new List<ExternReference>();

        int Place(CodeFunction f)
        {
            if (!placed.TryGetValue(f, out int at))
            {
                at = output.Count;
                placed[f] = at;
                order.Add(f);
                output.AddRange(f.Code);
            }
            return at;
        }

        for (int k = 0; k < order.Count; k++)
        {
            CodeFunction f = order[k];
            int at = placed[f];
            for (int i = 0; i < f.Code.Length; i++)
            {
                Instruction insn = f.Code[i];
                int slot = at + i;
                if (f.Relocations.TryGetValue(i, out ElfRelocation r))
                {
                    ResolveRelocation(f, i, slot, insn, r, output, mapRefs, externRefs, Place);
                }
                else if (insn.IsPseudoCall)
                {
                    // A call clang resolved itself: relative to this section.
                    int target = f.Start + i + insn.Immediate + 1;
                    (CodeFunction callee, int inner) = FunctionAt(f.Section, target, f.Name);
                    output[slot] = insn with { Immediate = Place(callee) + inner - slot - 1 };
                }
                if (insn.IsLoadImm64) i++;
            }
            funcInfos.AddRange(f.FuncInfos.Select(x => x with { Instruction = x.Instruction + at }));
            lineInfos.AddRange(f.LineInfos.Select(x => x with { Instruction = x.Instruction + at }));
            core.AddRange(f.CoreRelocations.Select(x => x with { Instruction = x.Instruction + at }));
        }
        return new ProgramSpec(entry.Name, entry.Section.Name, ProgramSection.Parse(entry.Section.Name), license, kernelVersion,
            [.. output], mapRefs, funcInfos, lineInfos, core, btf, _ext) { ExternReferences = externRefs, Externs = _externs };
    }

    private void ResolveRelocation(CodeFunction f, int i, int slot, Instruction insn, ElfRelocation r,
        List<Instruction> output, List<MapReference> mapRefs, List<ExternReference> externRefs, Func<CodeFunction, int> place)
    {
        ElfSymbol sym = _elf.Symbol(r.SymbolIndex);
        if (sym.SectionIndex == 0 && _externs.TryGetValue(sym.Name, out ExternSpec? ext))
        {
            ResolveExtern(f, i, slot, insn, r, ext, output, mapRefs, externRefs);
            return;
        }
        if (sym.SectionIndex <= 0 || sym.SectionIndex >= _elf.Sections.Count)
            throw new BpfObjectException($"{f.Name}: instruction {i} refers to '{sym.Name}', which is not defined in this object (only __kconfig and __ksym externs are)");
        ElfSection target = _elf.Sections[sym.SectionIndex];
        bool isCall = insn.OpCode == (OpCodes.ClassJmp | OpCodes.JmpCall);

        if (isCall && r.Type == ElfRelocation.Bpf64_32 && target.IsExecutable)
        {
            // Global function symbol (value = its offset, imm = -1) or section symbol (imm = offset / 8 - 1).
            long targetSlot = (long)(sym.Value / Instruction.Size) + insn.Immediate + 1;
            (CodeFunction callee, int inner) = FunctionAt(target, targetSlot, f.Name);
            output[slot] = insn with { Src = OpCodes.PseudoCall, Immediate = place(callee) + inner - slot - 1 };
            return;
        }
        if (!insn.IsLoadImm64 || r.Type != ElfRelocation.Bpf64_64 || i + 1 >= f.Code.Length)
            throw new BpfObjectException($"{f.Name}: relocation type {r.Type} on instruction {i} (opcode 0x{insn.OpCode:x2}) against '{sym.Name}' is not supported");

        if (target.IsExecutable)
        {
            // A function pointer (callbacks): BPF_PSEUDO_FUNC with a relative instruction offset.
            long targetSlot = ((long)sym.Value + insn.Immediate) / Instruction.Size;
            (CodeFunction callee, int inner) = FunctionAt(target, targetSlot, f.Name);
            output[slot] = insn with { Src = OpCodes.PseudoFunc, Immediate = place(callee) + inner - slot - 1 };
            return;
        }
        if (target.Name == MapDefinitions.MapsSection)
        {
            if (sym.Type == ElfSymbolType.Section || !_maps.ContainsKey(sym.Name))
                throw new BpfObjectException($"{f.Name}: instruction {i} refers to '{sym.Name}' in .maps, which is no map definition");
            output[slot] = insn with { Src = OpCodes.PseudoMapFd, Immediate = 0 };
            mapRefs.Add(new MapReference(slot, sym.Name, MapReferenceKind.Fd, 0));
            return;
        }
        if (MapDefinitions.IsGlobalDataSection(target) && _maps.ContainsKey(target.Name))
        {
            long offset = (long)sym.Value + insn.Immediate;
            if (offset < 0 || (ulong)offset > target.Size)
                throw new BpfObjectException($"{f.Name}: instruction {i} points {offset} bytes into {target.Name}, outside it");
            output[slot] = insn with { Src = OpCodes.PseudoMapValue, Immediate = 0 };
            output[slot + 1] = output[slot + 1] with { Immediate = (int)offset };
            mapRefs.Add(new MapReference(slot, target.Name, MapReferenceKind.Value, (uint)offset));
            return;
        }
        throw new BpfObjectException($"{f.Name}: instruction {i} refers to '{sym.Name}' in section {target.Name}, which holds no map or data");
    }

    /// <summary>As libbpf's RELO_EXTERN_CALL and RELO_EXTERN_LD64: kconfig values are read from the .kconfig map, ksyms resolved at load.</summary>
    private static void ResolveExtern(CodeFunction f, int i, int slot, Instruction insn, ElfRelocation r, ExternSpec ext,
        List<Instruction> output, List<MapReference> mapRefs, List<ExternReference> externRefs)
    {
        bool isCall = insn.OpCode == (OpCodes.ClassJmp | OpCodes.JmpCall);
        if (isCall && ext.Kind == ExternKind.Kfunc)
        {
            output[slot] = insn with { Src = OpCodes.PseudoKfuncCall, Offset = 0, Immediate = 0 };
            externRefs.Add(new ExternReference(slot, ext.Name));
            return;
        }
        if (!insn.IsLoadImm64 || r.Type != ElfRelocation.Bpf64_64 || i + 1 >= f.Code.Length)
            throw new BpfObjectException($"{f.Name}: instruction {i} (opcode 0x{insn.OpCode:x2}) uses extern '{ext.Name}' ({ext.Kind}) in a way this loader does not know");
        if (ext.Kind == ExternKind.Kconfig)
        {
            long offset = ext.Offset + (long)insn.Immediate;
            output[slot] = insn with { Src = OpCodes.PseudoMapValue, Immediate = 0 };
            output[slot + 1] = output[slot + 1] with { Immediate = (int)offset };
            mapRefs.Add(new MapReference(slot, ExternSpec.KconfigMapName, MapReferenceKind.Value, (uint)offset));
            return;
        }
        output[slot] = insn with { Immediate = 0 };
        output[slot + 1] = output[slot + 1] with { Immediate = 0 };
        externRefs.Add(new ExternReference(slot, ext.Name));
    }

    private (CodeFunction Function, int Inner) FunctionAt(ElfSection section, long slot, string caller)
    {
        if (_functionsBySection.TryGetValue(section.Index, out List<CodeFunction>? functions))
        {
            foreach (CodeFunction f in functions)
                if (slot >= 0 && slot <= int.MaxValue && f.Contains((int)slot)) return (f, (int)slot - f.Start);
        }
        throw new BpfObjectException($"{caller}: call into {section.Name} at instruction {slot}, where there is no function");
    }
}
