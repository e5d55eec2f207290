using BpfLoader.Object.Asm;
using static BpfLoader.Object.Asm.OpCodes;
using Step = BpfLoader.Object.Btf.CoreAccessSpec.Step;

namespace BpfLoader.Object.Btf;

/// <summary>
/// Applies CO-RE relocations (bpf_core_relo) against a target BTF, with libbpf's semantics
/// (relo_core.c): candidates by essential name (no <c>___flavour</c>), fields matched by name
/// through anonymous members, all candidates must agree, instructions patched in place.
/// One instance caches candidates per local type, so reuse it across a collection's programs.
/// </summary>
public sealed class CoreRelocator
{
    /// <summary>The invalid helper id libbpf calls in place of an instruction it cannot relocate.</summary>
    public const int PoisonHelperId = 0xbad2310;

    /// <summary>The most accessors a spec may have, as libbpf's BPF_CORE_SPEC_MAX_LEN: bounds the nesting of anonymous members.</summary>
    internal const int MaxSpecLength = 64;

    /// <summary>Members examined by the search through anonymous members, for tests that its cost stays linear.</summary>
    internal long MembersVisited { get; private set; }

    private readonly BtfSpec _local;
    private readonly BtfSpec _target;
    private readonly Dictionary<int, List<int>> _candidates = [];

    /// <summary>A relocator from the object's BTF (<paramref name="local"/>) to the kernel's (<paramref name="target"/>).</summary>
    public CoreRelocator(BtfSpec local, BtfSpec target)
    {
        _local = local ?? throw new ArgumentNullException(nameof(local));
        _target = target ?? throw new ArgumentNullException(nameof(target));
    }

    /// <summary>
    /// When the target has no type of the local type's name: true (the default, as libbpf) poisons the
    /// instruction, so the verifier refuses the program only if that instruction is reachable (a guarded
    /// access behind <c>bpf_core_field_exists</c> is dropped as dead code); false fails the relocation with
    /// <see cref="CoreRelocationException"/> unless it is an existence check (which gives 0).
    /// </summary>
    public bool PoisonMissingTypes { get; init; } = true;

    /// <summary>Relocates <paramref name="instructions"/> in place.</summary>
    /// <returns>The relocations that were poisoned (empty if none), to explain a verifier refusal.</returns>
    public IReadOnlyList<PoisonedRelocation> Apply(Span<Instruction> instructions, IReadOnlyList<CoreRelocation> relocations, string programName)
    {
        ArgumentNullException.ThrowIfNull(relocations);
        List<PoisonedRelocation>? poisoned = null;
        for (int i = 0; i < relocations.Count; i++)
        {
            CoreRelocation relo = relocations[i];
            if ((uint)relo.Instruction >= (uint)instructions.Length)
                throw new CoreRelocationException($"{programName}: CO-RE relocation #{i} points at instruction {relo.Instruction}, past the end");
            CoreResult result = Calculate(relo, programName);
            if (Patch(instructions, relo, result, programName, i))
            {
                string what = CoreAccessSpec.Parse(_local, relo.TypeId, relo.Access, relo.Kind).Describe(relo.Kind);
                (poisoned ??= []).Add(new PoisonedRelocation(i, relo.Instruction, relo.Kind, what));
            }
        }
        return poisoned ?? (IReadOnlyList<PoisonedRelocation>)[];
    }

    /// <summary>The value a relocation resolves to (or poison) and what validates the instruction.</summary>
    internal readonly record struct CoreResult(
        ulong OriginalValue, ulong NewValue, bool Poison, bool Validate,
        uint OriginalSize, uint NewSize, int OriginalTypeId, int NewTypeId, bool FailMemorySizeAdjust);

    internal CoreResult Calculate(CoreRelocation relo, string programName)
    {
        CoreAccessSpec local = CoreAccessSpec.Parse(_local, relo.TypeId, relo.Access, relo.Kind);
        if (relo.Kind == CoreRelocationKind.TypeIdLocal)
            return new CoreResult((ulong)relo.TypeId, (ulong)relo.TypeId, false, true, 0, 0, 0, 0, false);

        List<int> candidates = Candidates(relo.TypeId);
        CoreResult? chosen = null;
        CoreAccessSpec? chosenSpec = null;
        foreach (int candidate in candidates)
        {
            CoreAccessSpec? target = Match(local, candidate, relo.Kind);
            if (target is null) continue;
            CoreResult result = Compute(relo.Kind, local, target);
            if (chosen is null)
            {
                chosen = result;
                chosenSpec = target;
            }
            else if (chosen.Value.Poison != result.Poison || chosen.Value.NewValue != result.NewValue
                || (CoreAccessSpec.IsFieldBased(relo.Kind) && chosenSpec!.BitOffset != target.BitOffset))
            {
                throw new CoreRelocationException(
                    $"{programName}: CO-RE relocation of {local.Describe(relo.Kind)} is ambiguous: target types [{chosenSpec!.RootTypeId}] and [{candidate}] give different results");
            }
        }
        if (chosen is { } found) return found;

        bool isExistence = relo.Kind is CoreRelocationKind.FieldExists or CoreRelocationKind.TypeExists
            or CoreRelocationKind.EnumValueExists or CoreRelocationKind.TypeMatches;
        if (candidates.Count == 0 && !isExistence && !PoisonMissingTypes)
        {
            throw new CoreRelocationException(
                $"{programName}: CO-RE relocation {relo.Kind} of {local.Describe(relo.Kind)}: the target BTF has no type named '{EssentialName(_local.Type(relo.TypeId).Name)}'");
        }
        return Compute(relo.Kind, local, null);
    }

    /// <summary>Target types with the same essential name and a compatible kind (bpf_core_add_cands).</summary>
    private List<int> Candidates(int localId)
    {
        if (_candidates.TryGetValue(localId, out List<int>? cached)) return cached;
        BtfType local = _local.Type(localId);
        string essential = EssentialName(local.Name);
        if (essential.Length == 0) throw new CoreRelocationException($"CO-RE relocation against anonymous type {local}");
        // By kind in the lookup: a kernel's functions, most of its names, are never indexed for CO-RE.
        var result = new List<int>(_target.TypeIdsByName(essential, kind => KindsCompatible(local.Kind, kind)));
        _candidates[localId] = result;
        return result;
    }

    /// <summary>The name without a <c>___flavour</c> suffix (libbpf's bpf_core_essential_name_len).</summary>
    public static string EssentialName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        for (int i = name.Length - 5; i >= 0; i--)
        {
            if (name[i] != '_' && name[i + 1] == '_' && name[i + 2] == '_' && name[i + 3] == '_' && name[i + 4] != '_')
                return name[..(i + 1)];
        }
        return name;
    }

    private static bool KindsCompatible(BtfKind a, BtfKind b) => a == b || (IsAnyEnum(a) && IsAnyEnum(b));

    private static bool IsAnyEnum(BtfKind kind) => kind is BtfKind.Enum or BtfKind.Enum64;

    /// <summary>bpf_core_spec_match: the local access walked through a candidate target type, or null.</summary>
    private CoreAccessSpec? Match(CoreAccessSpec local, int targetId, CoreRelocationKind kind)
    {
        var target = new CoreAccessSpec(_target, targetId);
        if (CoreAccessSpec.IsTypeBased(kind))
            return TypesCompatible(_local, local.RootTypeId, _target, targetId, 32) ? target : null;

        if (CoreAccessSpec.IsEnumValueBased(kind))
        {
            int id = targetId;
            BtfType t = CoreAccessSpec.Skip(_target, ref id);
            if (!t.IsAnyEnum) return null;
            string wanted = EssentialName(local.Steps[0].Name!);
            for (int i = 0; i < t.EnumValues.Count; i++)
            {
                if (EssentialName(t.EnumValues[i].Name) != wanted) continue;
                target.Steps.Add(new Step(id, i, t.EnumValues[i].Name));
                target.Raw.Add(i);
                return target;
            }
            return null;
        }

        int current = targetId;
        for (int i = 0; i < local.Steps.Count; i++)
        {
            Step step = local.Steps[i];
            if (step.Name is not null)
            {
                if (!MatchMember(local, step, current, target, out current)) return null;
                continue;
            }
            if (i > 0)
            {
                BtfType array = CoreAccessSpec.Skip(_target, ref current);
                if (array.Kind != BtfKind.Array) return null;
                bool flex = CoreAccessSpec.IsFlexibleArray(_target, target.Steps[^1], array);
                if (!flex && step.Index >= array.Array.Count) return null;
                CoreAccessSpec.Skip(_target, ref current, array.Array.ElementType);
            }
            target.Steps.Add(new Step(current, step.Index, null));
            target.Raw.Add(step.Index);
            target.BitOffset += step.Index * (long)_target.ResolveSize(current) * 8;
        }
        return target;
    }

    /// <summary>
    /// bpf_core_match_member: finds the local member's name in the target, through anonymous members,
    /// depth first in member order as libbpf does. The outcome for a type depends only on the type and
    /// the name sought, so each anonymous type is searched once (<paramref name="searched"/>): a type
    /// reached again by another path was already found to lack the name. Without that, n levels of
    /// anonymous members holding the next level twice cost 2^n.
    /// </summary>
    private bool MatchMember(CoreAccessSpec local, Step localStep, int targetId, CoreAccessSpec target, out int next,
        HashSet<int>? searched = null)
    {
        next = 0;
        // Bounds the recursion (the stack), not the work; libbpf gives up at the same length (E2BIG).
        if (target.Raw.Count >= MaxSpecLength)
            throw new CoreRelocationException($"target type [{targetId}] nests anonymous members more than {MaxSpecLength} accessors deep");
        BtfType localType = _local.Type(localStep.TypeId);
        BtfMember localMember = localType.Members[localStep.Index];
        BtfType t = CoreAccessSpec.Skip(_target, ref targetId);
        if (!t.IsComposite) return false;
        searched ??= [];
        if (!searched.Add(targetId)) return false;
        for (int i = 0; i < t.Members.Count; i++)
        {
            BtfMember m = t.Members[i];
            MembersVisited++;
            if (m.Name.Length == 0)
            {
                target.BitOffset += m.BitOffset;
                target.Raw.Add(i);
                if (MatchMember(local, localStep, m.TypeId, target, out next, searched)) return true;
                target.BitOffset -= m.BitOffset;
                target.Raw.RemoveAt(target.Raw.Count - 1);
            }
            else if (m.Name == localMember.Name)
            {
                // The name is taken: an incompatible field of that name is no match, and nothing else is.
                if (!FieldsCompatible(localMember.TypeId, m.TypeId)) return false;
                target.BitOffset += m.BitOffset;
                target.Raw.Add(i);
                next = m.TypeId;
                target.Steps.Add(new Step(targetId, i, m.Name));
                return true;
            }
        }
        return false;
    }

    /// <summary>bpf_core_fields_are_compat.</summary>
    private bool FieldsCompatible(int localId, int targetId)
    {
        for (int depth = 0; depth < 32; depth++)
        {
            BtfType l = CoreAccessSpec.Skip(_local, ref localId);
            BtfType t = CoreAccessSpec.Skip(_target, ref targetId);
            if (l.IsComposite && t.IsComposite) return true;
            if (!KindsCompatible(l.Kind, t.Kind)) return false;
            switch (l.Kind)
            {
                case BtfKind.Pointer or BtfKind.Float:
                    return true;
                case BtfKind.Forward or BtfKind.Enum or BtfKind.Enum64:
                    string ln = EssentialName(l.Name), tn = EssentialName(t.Name);
                    return ln.Length == 0 || tn.Length == 0 || ln == tn;
                case BtfKind.Int:
                    return l.IntOffset == 0 && t.IntOffset == 0;
                case BtfKind.Array:
                    localId = l.Array.ElementType;
                    targetId = t.Array.ElementType;
                    continue;
                default:
                    return false;
            }
        }
        return false;
    }

    /// <summary>__bpf_core_types_are_compat.</summary>
    private static bool TypesCompatible(BtfSpec localBtf, int localId, BtfSpec targetBtf, int targetId, int depth)
    {
        while (depth-- > 0)
        {
            BtfType l = CoreAccessSpec.Skip(localBtf, ref localId);
            BtfType t = CoreAccessSpec.Skip(targetBtf, ref targetId);
            if (!KindsCompatible(l.Kind, t.Kind)) return false;
            switch (l.Kind)
            {
                case BtfKind.Void or BtfKind.Struct or BtfKind.Union or BtfKind.Enum or BtfKind.Enum64 or BtfKind.Forward:
                    return true;
                case BtfKind.Int:
                    return l.IntOffset == 0 && t.IntOffset == 0;
                case BtfKind.Pointer:
                    localId = l.TypeId;
                    targetId = t.TypeId;
                    continue;
                case BtfKind.Array:
                    localId = l.Array.ElementType;
                    targetId = t.Array.ElementType;
                    continue;
                case BtfKind.FuncProto:
                    if (l.Params.Count != t.Params.Count) return false;
                    for (int i = 0; i < l.Params.Count; i++)
                    {
                        if (!TypesCompatible(localBtf, l.Params[i].TypeId, targetBtf, t.Params[i].TypeId, depth)) return false;
                    }
                    localId = l.TypeId;
                    targetId = t.TypeId;
                    continue;
                default:
                    return false;
            }
        }
        throw new CoreRelocationException($"types [{localId}] and [{targetId}] nest too deeply to compare");
    }

    /// <summary>bpf_core_calc_relo: original value (from the local spec) and new value (from the target, or none).</summary>
    private static CoreResult Compute(CoreRelocationKind kind, CoreAccessSpec local, CoreAccessSpec? target)
    {
        if (CoreAccessSpec.IsFieldBased(kind))
        {
            FieldValue orig = FieldRelocation(kind, local);
            if (target is null)
            {
                return kind == CoreRelocationKind.FieldExists
                    ? new CoreResult(orig.Value, 0, false, orig.Validate, 0, 0, 0, 0, false)
                    : new CoreResult(orig.Value, 0, true, orig.Validate, 0, 0, 0, 0, false);
            }
            FieldValue next = FieldRelocation(kind, target);
            if (next.Poison) return new CoreResult(orig.Value, 0, true, orig.Validate, 0, 0, 0, 0, false);
            bool failAdjust = false;
            if (orig.Size != next.Size)
            {
                // Only narrowing or widening an unsigned integer or a pointer keeps the loaded value right.
                BtfType o = local.Btf.Type(orig.TypeId), n = target.Btf.Type(next.TypeId);
                bool pointers = o.Kind == BtfKind.Pointer && n.Kind == BtfKind.Pointer;
                bool unsignedInts = o.Kind == BtfKind.Int && n.Kind == BtfKind.Int && !o.IsSignedInt && !n.IsSignedInt;
                failAdjust = !pointers && !unsignedInts;
            }
            return new CoreResult(orig.Value, next.Value, false, orig.Validate, orig.Size, next.Size, orig.TypeId, next.TypeId, failAdjust);
        }
        if (CoreAccessSpec.IsTypeBased(kind))
        {
            ulong orig = TypeRelocation(kind, local);
            if (target is null)
                return new CoreResult(orig, 0, kind is CoreRelocationKind.TypeSize or CoreRelocationKind.TypeIdTarget, true, 0, 0, 0, 0, false);
            return new CoreResult(orig, TypeRelocation(kind, target), false, true, 0, 0, 0, 0, false);
        }
        ulong origEnum = EnumRelocation(kind, local);
        if (target is null)
            return new CoreResult(origEnum, 0, kind == CoreRelocationKind.EnumValueValue, true, 0, 0, 0, 0, false);
        return new CoreResult(origEnum, EnumRelocation(kind, target), false, true, 0, 0, 0, 0, false);
    }

    private readonly record struct FieldValue(ulong Value, uint Size, int TypeId, bool Validate, bool Poison);

    /// <summary>bpf_core_calc_field_relo, little-endian.</summary>
    private static FieldValue FieldRelocation(CoreRelocationKind kind, CoreAccessSpec spec)
    {
        if (kind == CoreRelocationKind.FieldExists) return new FieldValue(1, 0, 0, true, false);
        BtfSpec btf = spec.Btf;
        Step last = spec.Steps[^1];
        if (last.Name is null)
        {
            // The whole root, or an array element: only offset and size make sense.
            uint size = checked((uint)btf.ResolveSize(last.TypeId));
            return kind switch
            {
                CoreRelocationKind.FieldByteOffset => new FieldValue((ulong)(spec.BitOffset / 8), size, last.TypeId, true, false),
                CoreRelocationKind.FieldByteSize => new FieldValue(size, 0, 0, true, false),
                _ => throw new CoreRelocationException($"{kind} cannot be applied to an array element or a whole type ({spec.Describe(kind)})"),
            };
        }
        BtfMember member = btf.Type(last.TypeId).Members[last.Index];
        int fieldTypeId = member.TypeId;
        BtfType fieldType = CoreAccessSpec.Skip(btf, ref fieldTypeId);
        ulong bitOffset = (ulong)spec.BitOffset;
        ulong bitSize = member.BitfieldSize;
        bool bitfield = bitSize > 0;
        ulong byteSize, byteOffset;
        if (bitfield)
        {
            byteSize = fieldType.Size;
            if (byteSize == 0) throw new CoreRelocationException($"bitfield {spec.Describe(kind)} has a zero-size type");
            byteOffset = bitOffset / 8 / byteSize * byteSize;
            while (bitOffset + bitSize - byteOffset * 8 > byteSize * 8)
            {
                if (byteSize >= 8) throw new CoreRelocationException($"bitfield {spec.Describe(kind)} cannot be read with a 64-bit load");
                byteSize *= 2;
                byteOffset = bitOffset / 8 / byteSize * byteSize;
            }
        }
        else
        {
            byteSize = btf.ResolveSize(fieldTypeId);
            byteOffset = bitOffset / 8;
            bitSize = byteSize * 8;
        }
        bool validate = !bitfield;
        return kind switch
        {
            CoreRelocationKind.FieldByteOffset => bitfield
                ? new FieldValue(byteOffset, 0, 0, validate, false)
                : new FieldValue(byteOffset, checked((uint)byteSize), fieldTypeId, validate, false),
            CoreRelocationKind.FieldByteSize => new FieldValue(byteSize, 0, 0, validate, false),
            CoreRelocationKind.FieldSigned => new FieldValue(
                (fieldType.IsAnyEnum && fieldType.KindFlag) || fieldType.IsSignedInt ? 1UL : 0UL, 0, 0, true, false),
            CoreRelocationKind.FieldLShiftU64 => new FieldValue(64 - (bitOffset + bitSize - byteOffset * 8), 0, 0, validate, false),
            CoreRelocationKind.FieldRShiftU64 => new FieldValue(64 - bitSize, 0, 0, true, false),
            _ => throw new CoreRelocationException($"unexpected field relocation kind {kind}"),
        };
    }

    private static ulong TypeRelocation(CoreRelocationKind kind, CoreAccessSpec spec) => kind switch
    {
        CoreRelocationKind.TypeIdLocal or CoreRelocationKind.TypeIdTarget => (ulong)spec.RootTypeId,
        CoreRelocationKind.TypeExists or CoreRelocationKind.TypeMatches => 1,
        CoreRelocationKind.TypeSize => spec.Btf.ResolveSize(spec.RootTypeId),
        _ => throw new CoreRelocationException($"unexpected type relocation kind {kind}"),
    };

    private static ulong EnumRelocation(CoreRelocationKind kind, CoreAccessSpec spec)
    {
        if (kind == CoreRelocationKind.EnumValueExists) return 1;
        Step step = spec.Steps[0];
        return (ulong)spec.Btf.Type(step.TypeId).EnumValues[step.Index].Value;
    }

    /// <summary>bpf_core_patch_insn; true if the instruction was poisoned.</summary>
    private static bool Patch(Span<Instruction> insns, CoreRelocation relo, CoreResult res, string programName, int reloIndex)
    {
        int at = relo.Instruction;
        Instruction insn = insns[at];
        string where = $"{programName}: CO-RE relocation #{reloIndex} ({relo.Kind}) at instruction {at}";
        if (res.Poison)
        {
            Poison(insns, at);
            return true;
        }
        switch (insn.Class)
        {
            case ClassAlu or ClassAlu64:
                if ((insn.OpCode & SourceX) != 0) throw new CoreRelocationException($"{where}: ALU instruction has a register source");
                if (res.Validate && (ulong)(long)insn.Immediate != res.OriginalValue && (uint)insn.Immediate != res.OriginalValue)
                    throw new CoreRelocationException($"{where}: immediate {insn.Immediate} is not the expected {res.OriginalValue}");
                insns[at] = insn with { Immediate = (int)res.NewValue };
                break;
            case ClassLdx or ClassSt or ClassStx:
                if (res.Validate && (ulong)(long)insn.Offset != res.OriginalValue)
                    throw new CoreRelocationException($"{where}: offset {insn.Offset} is not the expected {res.OriginalValue}");
                if (res.NewValue > (ulong)short.MaxValue) throw new CoreRelocationException($"{where}: offset {res.NewValue} does not fit an instruction");
                if (res.FailMemorySizeAdjust)
                {
                    Poison(insns, at);
                    return true;
                }
                byte code = insn.OpCode;
                if (res.NewSize != res.OriginalSize)
                {
                    if (SizeInBytes(code) != res.OriginalSize)
                        throw new CoreRelocationException($"{where}: load size {SizeInBytes(code)} is not the field size {res.OriginalSize}");
                    int size = SizeFieldFor((int)res.NewSize);
                    if (size < 0) throw new CoreRelocationException($"{where}: field size {res.NewSize} has no load instruction");
                    code = (byte)(Mode(code) | size | Class(code));
                }
                insns[at] = insn with { OpCode = code, Offset = (short)res.NewValue };
                break;
            case ClassLd when insn.IsLoadImm64 && at + 1 < insns.Length:
                Instruction high = insns[at + 1];
                if (insn.Src != 0 || insn.Offset != 0 || high.OpCode != 0 || high.Dst != 0 || high.Src != 0 || high.Offset != 0)
                    throw new CoreRelocationException($"{where}: malformed ld_imm64");
                ulong imm = (uint)insn.Immediate | ((ulong)(uint)high.Immediate << 32);
                if (res.Validate && imm != res.OriginalValue)
                    throw new CoreRelocationException($"{where}: immediate {imm} is not the expected {res.OriginalValue}");
                insns[at] = insn with { Immediate = (int)(uint)res.NewValue };
                insns[at + 1] = high with { Immediate = (int)(uint)(res.NewValue >> 32) };
                break;
            default:
                throw new CoreRelocationException($"{where}: instruction 0x{insn.OpCode:x2} cannot be relocated");
        }
        return false;
    }

    /// <summary>A call to a helper that does not exist: the verifier rejects it only if it is reachable.</summary>
    private static void Poison(Span<Instruction> insns, int at)
    {
        var call = new Instruction((byte)(ClassJmp | JmpCall), 0, 0, 0, PoisonHelperId);
        if (insns[at].IsLoadImm64 && at + 1 < insns.Length) insns[at + 1] = call;
        insns[at] = call;
    }
}
