using System.Buffers.Binary;

namespace BpfLoader.Object.Asm;

/// <summary>
/// One 8-byte BPF instruction slot (struct bpf_insn). A 64-bit immediate load (ld_imm64) takes two
/// slots: the second has opcode 0 and carries the upper 32 bits in <see cref="Immediate"/>.
/// </summary>
public readonly record struct Instruction(byte OpCode, byte Dst, byte Src, short Offset, int Immediate)
{
    /// <summary>Bytes per instruction slot (struct bpf_insn); ld_imm64 takes two slots.</summary>
    public const int Size = 8;

    /// <summary>Reads one instruction from the first <see cref="Size"/> bytes of <paramref name="slot"/> (host byte order).</summary>
    public static Instruction Decode(ReadOnlySpan<byte> slot)
    {
        if (slot.Length < Size)
            throw new BpfObjectException($"instruction needs {Size} bytes, got {slot.Length}");
        byte regs = slot[1];
        return new Instruction(slot[0], (byte)(regs & 0xf), (byte)(regs >> 4),
            BinaryPrimitives.ReadInt16LittleEndian(slot[2..]), BinaryPrimitives.ReadInt32LittleEndian(slot[4..]));
    }

    /// <summary>Writes this instruction into the first <see cref="Size"/> bytes of <paramref name="slot"/>.</summary>
    public void Encode(Span<byte> slot)
    {
        slot[0] = OpCode;
        slot[1] = (byte)((Dst & 0xf) | (Src << 4));
        BinaryPrimitives.WriteInt16LittleEndian(slot[2..], Offset);
        BinaryPrimitives.WriteInt32LittleEndian(slot[4..], Immediate);
    }

    /// <summary>Reads every slot of a program's code; its length must be a multiple of <see cref="Size"/>.</summary>
    public static Instruction[] DecodeAll(ReadOnlySpan<byte> code)
    {
        if (code.Length % Size != 0)
            throw new BpfObjectException($"code size {code.Length} is not a multiple of {Size}");
        var result = new Instruction[code.Length / Size];
        for (int i = 0; i < result.Length; i++)
            result[i] = Decode(code.Slice(i * Size, Size));
        return result;
    }

    /// <summary>Writes the instructions back to code bytes, one slot each.</summary>
    public static byte[] EncodeAll(ReadOnlySpan<Instruction> instructions)
    {
        var bytes = new byte[instructions.Length * Size];
        for (int i = 0; i < instructions.Length; i++)
            instructions[i].Encode(bytes.AsSpan(i * Size, Size));
        return bytes;
    }

    /// <summary>The instruction class (BPF_LD, BPF_ALU64, BPF_JMP, ...): the opcode's low three bits.</summary>
    public byte Class => (byte)(OpCode & 0x07);

    /// <summary>BPF_LD | BPF_IMM | BPF_DW: the first slot of a two-slot 64-bit immediate load.</summary>
    public bool IsLoadImm64 => OpCode == (OpCodes.ClassLd | OpCodes.ModeImm | OpCodes.SizeDw);

    /// <summary>BPF_JMP | BPF_CALL with src_reg = BPF_PSEUDO_CALL: a call to a BPF function.</summary>
    public bool IsPseudoCall => OpCode == (OpCodes.ClassJmp | OpCodes.JmpCall) && Src == OpCodes.PseudoCall;

    /// <summary>True for a call of a kernel helper by number (BPF_CALL with src_reg 0), not a bpf-to-bpf or kfunc call.</summary>
    public bool IsHelperCall => OpCode == (OpCodes.ClassJmp | OpCodes.JmpCall) && Src == 0;

    /// <summary>This instruction with its imm field replaced.</summary>
    public Instruction WithImmediate(int imm) => this with { Immediate = imm };
}
