using System.Globalization;
using System.Text;
using static BpfLoader.Object.Asm.OpCodes;

namespace BpfLoader.Object.Asm;

/// <summary>
/// Prints instructions in llvm-objdump's BPF syntax (<c>r1 = *(u64 *)(r10 - 8)</c>, <c>if r1 != 6 goto +3</c>,
/// <c>r1 = 0 ll</c>). A map name, when the caller knows one for a slot, replaces the ld_imm64 constant.
/// </summary>
public static class Disassembler
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>One line per instruction, prefixed with the slot index; the second ld_imm64 slot prints nothing.</summary>
    public static string Disassemble(ReadOnlySpan<Instruction> instructions, Func<int, string?>? mapNameAt = null)
    {
        var text = new StringBuilder();
        for (int i = 0; i < instructions.Length; i++)
        {
            Instruction next = i + 1 < instructions.Length ? instructions[i + 1] : default;
            text.Append(i.ToString(Invariant).PadLeft(8)).Append(":\t")
                .Append(Format(instructions[i], next, mapNameAt?.Invoke(i))).Append('\n');
            if (instructions[i].IsLoadImm64) i++;
        }
        return text.ToString();
    }

    /// <summary>One instruction; <paramref name="next"/> is only read for ld_imm64.</summary>
    public static string Format(Instruction insn, Instruction next = default, string? mapName = null)
    {
        byte code = insn.OpCode;
        return Class(code) switch
        {
            ClassAlu64 => FormatAlu(insn, 'r'),
            ClassAlu => FormatAlu(insn, 'w'),
            ClassJmp => FormatJump(insn, 'r'),
            ClassJmp32 => FormatJump(insn, 'w'),
            ClassLdx => $"r{insn.Dst} = *({(Mode(code) == ModeMemSx ? "s" : "u")}{Bits(code)} *)({Address(insn.Src, insn.Offset)})",
            ClassStx when Mode(code) == ModeAtomic => FormatAtomic(insn),
            ClassStx => $"*(u{Bits(code)} *)({Address(insn.Dst, insn.Offset)}) = r{insn.Src}",
            ClassSt => $"*(u{Bits(code)} *)({Address(insn.Dst, insn.Offset)}) = {insn.Immediate.ToString(Invariant)}",
            ClassLd when insn.IsLoadImm64 => FormatLoadImm64(insn, next, mapName),
            ClassLd when Mode(code) is ModeAbs => $"r0 = *(u{Bits(code)} *)skb[{insn.Immediate.ToString(Invariant)}]",
            ClassLd when Mode(code) is ModeInd => $"r0 = *(u{Bits(code)} *)skb[r{insn.Src} + {insn.Immediate.ToString(Invariant)}]",
            _ => $"<unknown opcode 0x{code:x2}>",
        };
    }

    private static int Bits(byte code) => SizeInBytes(code) * 8;

    private static string Address(int reg, short offset) =>
        offset < 0 ? $"r{reg} - {(-offset).ToString(Invariant)}" : $"r{reg} + {offset.ToString(Invariant)}";

    private static string FormatLoadImm64(Instruction insn, Instruction next, string? mapName)
    {
        long value = (long)(((ulong)(uint)next.Immediate << 32) | (uint)insn.Immediate);
        if (mapName is not null)
        {
            return insn.Src == PseudoMapValue && next.Immediate != 0
                ? $"r{insn.Dst} = map[{mapName}] + {next.Immediate.ToString(Invariant)} ll"
                : $"r{insn.Dst} = map[{mapName}] ll";
        }
        return $"r{insn.Dst} = {value.ToString(Invariant)} ll";
    }

    private static string FormatAlu(Instruction insn, char width)
    {
        byte op = Operation(insn.OpCode);
        string dst = $"{width}{insn.Dst}";
        string src = (insn.OpCode & SourceX) != 0 ? $"{width}{insn.Src}" : insn.Immediate.ToString(Invariant);
        if (op == AluNeg) return $"{dst} = -{dst}";
        if (op == AluEnd)
        {
            // BPF_TO_BE in the source bit; ALU64 class is the unconditional bswap.
            string kind = width == 'r' ? "bswap" : (insn.OpCode & SourceX) != 0 ? "be" : "le";
            return $"r{insn.Dst} = {kind}{insn.Immediate.ToString(Invariant)} r{insn.Dst}";
        }
        string symbol = op switch
        {
            AluAdd => "+=", AluSub => "-=", AluMul => "*=", AluDiv => "/=", AluOr => "|=", AluAnd => "&=",
            AluLsh => "<<=", AluRsh => ">>=", AluMod => "%=", AluXor => "^=", AluMov => "=", AluArsh => "s>>=",
            _ => "?=",
        };
        return $"{dst} {symbol} {src}";
    }

    private static string FormatJump(Instruction insn, char width)
    {
        byte op = Operation(insn.OpCode);
        string target = insn.Offset < 0 ? insn.Offset.ToString(Invariant) : "+" + insn.Offset.ToString(Invariant);
        switch (op)
        {
            case JmpJa: return "goto " + target;
            case JmpCall: return "call " + insn.Immediate.ToString(Invariant);
            case JmpExit: return "exit";
        }
        string symbol = op switch
        {
            JmpJeq => "==", JmpJgt => ">", JmpJge => ">=", JmpJset => "&", JmpJne => "!=", JmpJsgt => "s>",
            JmpJsge => "s>=", JmpJlt => "<", JmpJle => "<=", JmpJslt => "s<", JmpJsle => "s<=",
            _ => "?",
        };
        string src = (insn.OpCode & SourceX) != 0 ? $"{width}{insn.Src}" : insn.Immediate.ToString(Invariant);
        return $"if {width}{insn.Dst} {symbol} {src} goto {target}";
    }

    private static string FormatAtomic(Instruction insn)
    {
        int bits = Bits(insn.OpCode);
        char width = bits == 64 ? 'r' : 'w';
        string address = $"*(u{bits} *)({Address(insn.Dst, insn.Offset)})";
        const int Fetch = 0x01;
        int op = insn.Immediate & ~Fetch;
        // Exchanges name the address bare, as llvm-objdump does: "r1 = xchg_64(r2 + 8, r1)".
        if (insn.Immediate == 0xe1) return $"{width}{insn.Src} = xchg_{bits}({Address(insn.Dst, insn.Offset)}, {width}{insn.Src})";
        if (insn.Immediate == 0xf1) return $"r0 = cmpxchg_{bits}({Address(insn.Dst, insn.Offset)}, r0, {width}{insn.Src})";
        string name = op switch { 0x00 => "add", 0x40 => "or", 0x50 => "and", 0xa0 => "xor", _ => "?" };
        if ((insn.Immediate & Fetch) != 0)
            return $"{width}{insn.Src} = atomic_fetch_{name}({address.TrimStart('*')}, {width}{insn.Src})";
        string symbol = op switch { 0x00 => "+=", 0x40 => "|=", 0x50 => "&=", 0xa0 => "^=", _ => "?=" };
        return $"lock {address} {symbol} {width}{insn.Src}";
    }
}
