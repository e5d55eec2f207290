namespace BpfLoader.Object.Asm;

/// <summary>The opcode fields of linux/bpf_common.h and linux/bpf.h.</summary>
public static class OpCodes
{
    // Instruction classes (low 3 bits).
    /// <summary>Instruction classes (the low three bits): loads, stores.</summary>
    public const byte ClassLd = 0x00, ClassLdx = 0x01, ClassSt = 0x02, ClassStx = 0x03;
    /// <summary>Instruction classes: 32-bit ALU, jumps, 32-bit jumps, 64-bit ALU.</summary>
    public const byte ClassAlu = 0x04, ClassJmp = 0x05, ClassJmp32 = 0x06, ClassAlu64 = 0x07;

    // Load/store size and mode.
    /// <summary>Load/store size fields: 4, 2, 1 and 8 bytes.</summary>
    public const byte SizeW = 0x00, SizeH = 0x08, SizeB = 0x10, SizeDw = 0x18;
    /// <summary>Load/store mode fields: immediate (ld_imm64), legacy packet absolute/indirect, memory, sign-extending memory, atomic.</summary>
    public const byte ModeImm = 0x00, ModeAbs = 0x20, ModeInd = 0x40, ModeMem = 0x60, ModeMemSx = 0x80, ModeAtomic = 0xc0;

    // Source operand.
    /// <summary>Source operand: the immediate (K) or the source register (X).</summary>
    public const byte SourceK = 0x00, SourceX = 0x08;

    // ALU operations (high 4 bits).
    /// <summary>ALU operations (the high four bits): add, subtract, multiply, divide, or, and.</summary>
    public const byte AluAdd = 0x00, AluSub = 0x10, AluMul = 0x20, AluDiv = 0x30, AluOr = 0x40, AluAnd = 0x50;
    /// <summary>ALU operations: left shift, logical right shift, negate, modulo, xor, move.</summary>
    public const byte AluLsh = 0x60, AluRsh = 0x70, AluNeg = 0x80, AluMod = 0x90, AluXor = 0xa0, AluMov = 0xb0;
    /// <summary>ALU operations: arithmetic right shift, byte swap.</summary>
    public const byte AluArsh = 0xc0, AluEnd = 0xd0;

    // Jump operations (high 4 bits).
    /// <summary>Jump operations (the high four bits): always, ==, unsigned &gt;, unsigned &gt;=, bit test, !=.</summary>
    public const byte JmpJa = 0x00, JmpJeq = 0x10, JmpJgt = 0x20, JmpJge = 0x30, JmpJset = 0x40, JmpJne = 0x50;
    /// <summary>Jump operations: signed &gt;, signed &gt;=, call, exit, unsigned &lt;, unsigned &lt;=.</summary>
    public const byte JmpJsgt = 0x60, JmpJsge = 0x70, JmpCall = 0x80, JmpExit = 0x90, JmpJlt = 0xa0, JmpJle = 0xb0;
    /// <summary>Jump operations: signed &lt;, signed &lt;=.</summary>
    public const byte JmpJslt = 0xc0, JmpJsle = 0xd0;

    // src_reg values with special meaning.
    /// <summary>src_reg of a ld_imm64: a map fd, an address in a map's value, a kernel BTF id, a subprogram, a map by index, a value by map index (BPF_PSEUDO_*).</summary>
    public const byte PseudoMapFd = 1, PseudoMapValue = 2, PseudoBtfId = 3, PseudoFunc = 4, PseudoMapIdx = 5, PseudoMapIdxValue = 6;
    /// <summary>src_reg of a call: a bpf-to-bpf call (BPF_PSEUDO_CALL) or a kfunc (BPF_PSEUDO_KFUNC_CALL).</summary>
    public const byte PseudoCall = 1, PseudoKfuncCall = 2;

    /// <summary>The class bits of an opcode.</summary>
    public static byte Class(byte opcode) => (byte)(opcode & 0x07);
    /// <summary>The size bits of a load/store opcode.</summary>
    public static byte SizeField(byte opcode) => (byte)(opcode & 0x18);
    /// <summary>The mode bits of a load/store opcode.</summary>
    public static byte Mode(byte opcode) => (byte)(opcode & 0xe0);
    /// <summary>The operation bits of an ALU or jump opcode.</summary>
    public static byte Operation(byte opcode) => (byte)(opcode & 0xf0);

    /// <summary>Bytes moved by a load/store of this opcode's size field.</summary>
    public static int SizeInBytes(byte opcode) => SizeField(opcode) switch
    {
        SizeB => 1,
        SizeH => 2,
        SizeW => 4,
        _ => 8,
    };

    /// <summary>The size field for a load of <paramref name="bytes"/>, or -1 if there is none.</summary>
    public static int SizeFieldFor(int bytes) => bytes switch
    {
        1 => SizeB,
        2 => SizeH,
        4 => SizeW,
        8 => SizeDw,
        _ => -1,
    };
}
