using System.Buffers.Binary;
using BpfLoader.Object.Asm;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Object.Spec;

/// <summary>
/// One program, linked: its own instructions followed by every BPF function it calls (each once),
/// call immediates fixed, func/line info and CO-RE records rebased to the linked instruction indexes.
/// <see cref="Link(BtfSpec?, Func{string, int})"/> turns it into what BPF_PROG_LOAD takes.
/// </summary>
public sealed class ProgramSpec
{
    internal ProgramSpec(string name, string sectionName, ProgramSection section, string license, uint kernelVersion,
        Instruction[] instructions, IReadOnlyList<MapReference> mapReferences, IReadOnlyList<FuncInfo> funcInfos,
        IReadOnlyList<LineInfo> lineInfos, IReadOnlyList<CoreRelocation> coreRelocations, BtfSpec? btf, BtfExt ext)
    {
        Name = name;
        SectionName = sectionName;
        Type = section.Type;
        AttachType = section.AttachType;
        AttachTo = section.AttachTo;
        IsReturnProbe = section.IsReturnProbe;
        License = license;
        KernelVersion = kernelVersion;
        _instructions = instructions;
        MapReferences = mapReferences;
        FuncInfos = funcInfos;
        LineInfos = lineInfos;
        CoreRelocations = coreRelocations;
        Btf = btf;
        FuncInfoRecordSize = ext.FuncInfoRecordSize;
        LineInfoRecordSize = ext.LineInfoRecordSize;
    }

    private readonly Instruction[] _instructions;

    /// <summary>The program's function name.</summary>
    public string Name { get; }
    /// <summary>The ELF section it came from ("tp_btf/inet_sock_set_state").</summary>
    public string SectionName { get; }
    /// <summary>The program type the section names.</summary>
    public BpfProgramType Type { get; }
    /// <summary>expected_attach_type for BPF_PROG_LOAD; null means 0 (none).</summary>
    public BpfAttachType? AttachType { get; }
    /// <summary>
    /// What the section names: "CAT/NAME" for tracepoints, the tracepoint for raw_tp and tp_btf, the
    /// function for kprobe/fentry/fexit. For tp_btf the glue looks up TYPEDEF <c>btf_trace_NAME</c> in
    /// kernel BTF; for fentry/fexit the FUNC NAME (<see cref="BtfSpec.FindTypeId"/>).
    /// </summary>
    public string? AttachTo { get; }
    /// <summary>True for a return probe (kretprobe/, uretprobe/).</summary>
    public bool IsReturnProbe { get; }
    /// <summary>The object's license, passed to the kernel at load.</summary>
    public string License { get; }
    /// <summary>From the object's <c>version</c> section (kprobes on kernels before 5.0); 0 if absent.</summary>
    public uint KernelVersion { get; }

    /// <summary>The linked instructions, before CO-RE and map fds (slot per 8 bytes; ld_imm64 takes two).</summary>
    public ReadOnlySpan<Instruction> Instructions => _instructions;
    /// <summary>The instructions that need a map's fd, and which map.</summary>
    public IReadOnlyList<MapReference> MapReferences { get; }
    /// <summary>func_info records of this program and the subprograms linked into it.</summary>
    public IReadOnlyList<FuncInfo> FuncInfos { get; }
    /// <summary>line_info records of this program and the subprograms linked into it.</summary>
    public IReadOnlyList<LineInfo> LineInfos { get; }
    /// <summary>The CO-RE relocations to apply before load.</summary>
    public IReadOnlyList<CoreRelocation> CoreRelocations { get; }
    /// <summary>Bytes per func_info record.</summary>
    public int FuncInfoRecordSize { get; }
    /// <summary>Bytes per line_info record.</summary>
    public int LineInfoRecordSize { get; }
    /// <summary>The object's BTF, which func/line info refer to (load it with BPF_BTF_LOAD first); null if the object has none.</summary>
    public BtfSpec? Btf { get; }

    /// <summary>Instructions that call a kfunc or load a <c>__ksym</c> variable, resolved at <see cref="Link(CoreRelocator?, BtfSpec?, Func{string, int}, Func{string, ulong?}?)"/>.</summary>
    public IReadOnlyList<ExternReference> ExternReferences { get; internal init; } = [];

    internal IReadOnlyDictionary<string, ExternSpec> Externs { get; init; } = new Dictionary<string, ExternSpec>();

    /// <summary>libbpf's POISON_CALL_KFUNC_BASE: a weak kfunc the kernel lacks becomes a call to this invalid helper (plus the extern's index).</summary>
    public const int PoisonKfuncBase = 2002000000;

    /// <summary>Names of the maps this program uses.</summary>
    public IEnumerable<string> MapNames => MapReferences.Select(r => r.MapName).Distinct(StringComparer.Ordinal);

    /// <summary>
    /// The program as BPF_PROG_LOAD wants it: CO-RE relocations applied against <paramref name="kernelBtf"/>
    /// (required if the program has any), ld_imm64 map references given the fds from <paramref name="mapFd"/>.
    /// Pure: nothing here touches the kernel.
    /// </summary>
    public LinkedProgram Link(BtfSpec? kernelBtf, Func<string, int> mapFd) => Link(null, kernelBtf, mapFd);

    /// <summary>As <see cref="Link(BtfSpec?, Func{string, int})"/>, sharing one relocator (and its candidate cache) across programs.</summary>
    public LinkedProgram Link(CoreRelocator? relocator, BtfSpec? kernelBtf, Func<string, int> mapFd) =>
        Link(relocator, kernelBtf, mapFd, null);

    /// <summary>
    /// As <see cref="Link(CoreRelocator?, BtfSpec?, Func{string, int})"/>, resolving <c>__ksym</c> externs too: kfuncs and
    /// typed ksyms by their BTF id in <paramref name="kernelBtf"/>, untyped ksyms by address from <paramref name="kernelSymbol"/>
    /// (name to address, null if unknown; /proc/kallsyms in the kernel assembly's <c>Collection.Load</c>).
    /// </summary>
    public LinkedProgram Link(CoreRelocator? relocator, BtfSpec? kernelBtf, Func<string, int> mapFd, Func<string, ulong?>? kernelSymbol)
    {
        ArgumentNullException.ThrowIfNull(mapFd);
        Instruction[] insns = (Instruction[])_instructions.Clone();
        IReadOnlyList<PoisonedRelocation> poisoned = [];
        if (CoreRelocations.Count > 0)
        {
            if (Btf is null) throw new CoreRelocationException($"{Name}: CO-RE relocations without object BTF");
            relocator ??= kernelBtf is null
                ? throw new CoreRelocationException($"{Name}: has {CoreRelocations.Count} CO-RE relocations but no kernel BTF was given")
                : new CoreRelocator(Btf, kernelBtf);
            try
            {
                poisoned = relocator.Apply(insns, CoreRelocations, Name);
            }
            catch (BpfException) { throw; }
            catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException or InvalidOperationException)
            {
                throw new CoreRelocationException($"{Name}: malformed CO-RE relocation data: {e.Message}");
            }
        }
        foreach (MapReference r in MapReferences)
            insns[r.Instruction] = insns[r.Instruction] with { Immediate = mapFd(r.MapName) };
        foreach (ExternReference r in ExternReferences)
            ResolveExtern(insns, r, kernelBtf, kernelSymbol);

        var funcInfo = new byte[FuncInfos.Count * FuncInfoRecordSize];
        for (int i = 0; i < FuncInfos.Count; i++)
        {
            Span<byte> rec = funcInfo.AsSpan(i * FuncInfoRecordSize);
            BinaryPrimitives.WriteUInt32LittleEndian(rec, (uint)FuncInfos[i].Instruction);
            BinaryPrimitives.WriteUInt32LittleEndian(rec[4..], (uint)FuncInfos[i].TypeId);
        }
        var lineInfo = new byte[LineInfos.Count * LineInfoRecordSize];
        for (int i = 0; i < LineInfos.Count; i++)
        {
            Span<byte> rec = lineInfo.AsSpan(i * LineInfoRecordSize);
            LineInfo l = LineInfos[i];
            BinaryPrimitives.WriteUInt32LittleEndian(rec, (uint)l.Instruction);
            BinaryPrimitives.WriteUInt32LittleEndian(rec[4..], l.FileNameOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(rec[8..], l.LineOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(rec[12..], l.LineColumn);
        }
        return new LinkedProgram(Instruction.EncodeAll(insns), funcInfo, FuncInfoRecordSize, FuncInfos.Count,
            lineInfo, LineInfoRecordSize, LineInfos.Count) { PoisonedRelocations = poisoned };
    }

    private void ResolveExtern(Instruction[] insns, ExternReference r, BtfSpec? kernelBtf, Func<string, ulong?>? kernelSymbol)
    {
        ExternSpec ext = Externs[r.Name];
        Instruction insn = insns[r.Instruction];
        if (ext.Kind == ExternKind.Ksym && ext.IsUntyped)
        {
            ulong? address = kernelSymbol?.Invoke(ext.Name);
            if (address is null && !ext.IsWeak)
                throw new ExternResolutionException(ext.Name, $"{Name}: extern '{ext.Name}' __ksym is not in /proc/kallsyms");
            insns[r.Instruction] = insn with { Immediate = (int)(uint)(address ?? 0) };
            insns[r.Instruction + 1] = insns[r.Instruction + 1] with { Immediate = (int)(uint)((address ?? 0) >> 32) };
            return;
        }
        if (kernelBtf is null)
            throw new ExternResolutionException(ext.Name, $"{Name}: extern '{ext.Name}' needs the kernel's BTF, and none was given");
        // A kfunc's address (bpf_ksym_exists) is, like a typed ksym, a BPF_PSEUDO_BTF_ID load; 0 if weak and missing.
        bool isFunc = ext.Kind == ExternKind.Kfunc;
        bool found = kernelBtf.TryFindTypeId(ext.Name, isFunc ? BtfKind.Func : BtfKind.Var, out int id);
        if (!found && !ext.IsWeak)
            throw new ExternResolutionException(ext.Name,
                $"{Name}: {(isFunc ? "kfunc" : "extern __ksym variable")} '{ext.Name}' is not in the kernel's BTF (kernel modules' BTF is not searched)");
        if (isFunc && !insn.IsLoadImm64)
        {
            // A missing weak kfunc: a call the verifier refuses only if reachable (guard it with bpf_ksym_exists).
            insns[r.Instruction] = found
                ? insn with { Src = OpCodes.PseudoKfuncCall, Offset = 0, Immediate = id }
                : insn with { Src = 0, Offset = 0, Immediate = PoisonKfuncBase + ext.BtfTypeId };
            return;
        }
        insns[r.Instruction] = insn with { Src = found ? OpCodes.PseudoBtfId : (byte)0, Immediate = found ? id : 0 };
        insns[r.Instruction + 1] = insns[r.Instruction + 1] with { Immediate = 0 };
    }

    /// <summary>llvm-objdump-style listing with map references named.</summary>
    public string Disassemble()
    {
        var names = MapReferences.ToDictionary(r => r.Instruction, r => r.MapName);
        return Disassembler.Disassemble(_instructions, slot => names.GetValueOrDefault(slot));
    }

    /// <summary>Name, section, type and instruction count, for messages.</summary>
    public override string ToString() => $"{Name} ({SectionName}, {Type}, {_instructions.Length} insns)";
}
