namespace BpfLoader.Asm;

/// <summary>The opcode fields of linux/bpf_common.h and linux/bpf.h.</summary>
public static class OpCodes
{
    // Instruction classes (low 3 bits).
    public const byte ClassLd = 0x00, ClassLdx = 0x01, ClassSt = 0x02, ClassStx = 0x03;
    public const byte ClassAlu = 0x04, ClassJmp = 0x05, ClassJmp32 = 0x06, ClassAlu64 = 0x07;

    // Load/store size and mode.
    public const byte SizeW = 0x00, SizeH = 0x08, SizeB = 0x10, SizeDw = 0x18;
    public const byte ModeImm = 0x00, ModeAbs = 0x20, ModeInd = 0x40, ModeMem = 0x60, ModeMemSx = 0x80, ModeAtomic = 0xc0;

    // Source operand.
    public const byte SourceK = 0x00, SourceX = 0x08;

    // ALU operations (high 4 bits).
    public const byte AluAdd = 0x00, AluSub = 0x10, AluMul = 0x20, AluDiv = 0x30, AluOr = 0x40, AluAnd = 0x50;
    public const byte AluLsh = 0x60, AluRsh = 0x70, AluNeg = 0x80, AluMod = 0x90, AluXor = 0xa0, AluMov = 0xb0;
    public const byte AluArsh = 0xc0, AluEnd = 0xd0;

    // Jump operations (high 4 bits).
    public const byte JmpJa = 0x00, JmpJeq = 0x10, JmpJgt = 0x20, JmpJge = 0x30, JmpJset = 0x40, JmpJne = 0x50;
    public const byte JmpJsgt = 0x60, JmpJsge = 0x70, JmpCall = 0x80, JmpExit = 0x90, JmpJlt = 0xa0, JmpJle = 0xb0;
    public const byte JmpJslt = 0xc0, JmpJsle = 0xd0;

    // src_reg values with special meaning.
    public const byte PseudoMapFd = 1, PseudoMapValue = 2, PseudoBtfId = 3, PseudoFunc = 4, PseudoMapIdx = 5, PseudoMapIdxValue = 6;
    public const byte PseudoCall = 1, PseudoKfuncCall = 2;

    public static byte Class(byte opcode) => (byte)(opcode & 0x07);
    public static byte SizeField(byte opcode) => (byte)(opcode & 0x18);
    public static byte Mode(byte opcode) => (byte)(opcode & 0xe0);
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
