using System.Buffers.Binary;

namespace BpfLoader.Asm;

/// <summary>
/// One 8-byte BPF instruction slot (struct bpf_insn). A 64-bit immediate load (ld_imm64) takes two
/// slots: the second has opcode 0 and carries the upper 32 bits in <see cref="Immediate"/>.
/// </summary>
public readonly record struct Instruction(byte OpCode, byte Dst, byte Src, short Offset, int Immediate)
{
    public const int Size = 8;

    public static Instruction Decode(ReadOnlySpan<byte> slot)
    {
        if (slot.Length < Size)
            throw new BpfObjectException($"instruction needs {Size} bytes, got {slot.Length}");
        byte regs = slot[1];
        return new Instruction(slot[0], (byte)(regs & 0xf), (byte)(regs >> 4),
            BinaryPrimitives.ReadInt16LittleEndian(slot[2..]), BinaryPrimitives.ReadInt32LittleEndian(slot[4..]));
    }

    public void Encode(Span<byte> slot)
    {
        slot[0] = OpCode;
        slot[1] = (byte)((Dst & 0xf) | (Src << 4));
        BinaryPrimitives.WriteInt16LittleEndian(slot[2..], Offset);
        BinaryPrimitives.WriteInt32LittleEndian(slot[4..], Immediate);
    }

    public static Instruction[] DecodeAll(ReadOnlySpan<byte> code)
    {
        if (code.Length % Size != 0)
            throw new BpfObjectException($"code size {code.Length} is not a multiple of {Size}");
        var result = new Instruction[code.Length / Size];
        for (int i = 0; i < result.Length; i++)
            result[i] = Decode(code.Slice(i * Size, Size));
        return result;
    }

    public static byte[] EncodeAll(ReadOnlySpan<Instruction> instructions)
    {
        var bytes = new byte[instructions.Length * Size];
        for (int i = 0; i < instructions.Length; i++)
            instructions[i].Encode(bytes.AsSpan(i * Size, Size));
        return bytes;
    }

    public byte Class => (byte)(OpCode & 0x07);

    /// <summary>BPF_LD | BPF_IMM | BPF_DW: the first slot of a two-slot 64-bit immediate load.</summary>
    public bool IsLoadImm64 => OpCode == (OpCodes.ClassLd | OpCodes.ModeImm | OpCodes.SizeDw);

    /// <summary>BPF_JMP | BPF_CALL with src_reg = BPF_PSEUDO_CALL: a call to a BPF function.</summary>
    public bool IsPseudoCall => OpCode == (OpCodes.ClassJmp | OpCodes.JmpCall) && Src == OpCodes.PseudoCall;

    public bool IsHelperCall => OpCode == (OpCodes.ClassJmp | OpCodes.JmpCall) && Src == 0;

    public Instruction WithImmediate(int imm) => this with { Immediate = imm };
}
