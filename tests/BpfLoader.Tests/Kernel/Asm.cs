using System.Buffers.Binary;

namespace BpfLoader.Tests.Kernel;

/// <summary>
/// Hand assembly of struct bpf_insn (code, dst:4|src:4, off, imm), just enough for the kernel tests;
/// the real encoder belongs to the spec layer.
/// </summary>
internal sealed class Asm
{
    // Instruction classes, sizes, modes and operations from <linux/bpf.h> / <linux/bpf_common.h>.
    private const byte Ld = 0x00, St = 0x02, Stx = 0x03, Jmp = 0x05, Alu64 = 0x07;
    private const byte SizeW = 0x00, SizeDw = 0x18;
    private const byte ModeImm = 0x00, ModeMem = 0x60, ModeAtomic = 0xc0;
    private const byte SrcK = 0x00, SrcX = 0x08;
    private const byte OpAdd = 0x00, OpMov = 0xb0, OpJeq = 0x10, OpCall = 0x80, OpExit = 0x90;
    private const byte PseudoMapFd = 1;

    public const int R0 = 0, R1 = 1, R2 = 2, R10 = 10;
    public const int HelperMapLookupElem = 1;

    private readonly List<byte> _bytes = [];

    public int Count => _bytes.Count / 8;

    public Asm MovImm(int dst, int imm) => Emit(Alu64 | OpMov | SrcK, dst, 0, 0, imm);

    public Asm MovReg(int dst, int src) => Emit(Alu64 | OpMov | SrcX, dst, src, 0, 0);

    public Asm AddImm(int dst, int imm) => Emit(Alu64 | OpAdd | SrcK, dst, 0, 0, imm);

    /// <summary>*(u32 *)(dst + off) = imm</summary>
    public Asm StoreWordImm(int dst, short off, int imm) => Emit(St | ModeMem | SizeW, dst, 0, off, imm);

    /// <summary>lock *(u64 *)(dst + off) += src</summary>
    public Asm AtomicAdd64(int dst, short off, int src) => Emit(Stx | ModeAtomic | SizeDw, dst, src, off, OpAdd);

    /// <summary>dst = map (ld_imm64 with BPF_PSEUDO_MAP_FD: two instruction slots).</summary>
    public Asm LoadMapFd(int dst, int mapFd)
    {
        Emit(Ld | ModeImm | SizeDw, dst, PseudoMapFd, 0, mapFd);
        return Emit(0, 0, 0, 0, 0);
    }

    public Asm JumpIfEqualImm(int dst, int imm, short off) => Emit(Jmp | OpJeq | SrcK, dst, 0, off, imm);

    public Asm Call(int helper) => Emit(Jmp | OpCall, 0, 0, 0, helper);

    public Asm Exit() => Emit(Jmp | OpExit, 0, 0, 0, 0);

    public byte[] ToArray() => [.. _bytes];

    private Asm Emit(int code, int dst, int src, short off, int imm)
    {
        Span<byte> insn = stackalloc byte[8];
        insn[0] = (byte)code;
        insn[1] = (byte)((src << 4) | (dst & 0xf));
        BinaryPrimitives.WriteInt16LittleEndian(insn[2..], off);
        BinaryPrimitives.WriteInt32LittleEndian(insn[4..], imm);
        _bytes.AddRange(insn);
        return this;
    }
}
