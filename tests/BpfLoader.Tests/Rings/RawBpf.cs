using System.Text;
using BpfLoader.Errors;
using BpfLoader.Interop;

namespace BpfLoader.Tests.Rings;

/// <summary>
/// Just enough bpf(2) for the ring tests, written out by hand until the loader's Maps/Programs land:
/// create a map, load a few hand-assembled instructions, run them with BPF_PROG_TEST_RUN.
/// </summary>
internal static unsafe class RawBpf
{
    private const int MapCreate = 0, MapUpdateElem = 2, ProgLoad = 5, ProgTestRun = 10;
    public const uint MapTypePerfEventArray = 4, MapTypeRingbuf = 27;
    public const uint ProgTypeSocketFilter = 1, ProgTypeSchedCls = 3;
    public const int FuncPerfEventOutput = 25, FuncRingbufOutput = 130;
    private const int AttrSize = 128;

    private static long Call(int cmd, byte* attr) => Libc.Syscall(Libc.SysBpf, cmd, (long)attr, AttrSize, 0, 0);

    public static FileDescriptor CreateMap(uint type, uint keySize, uint valueSize, uint maxEntries)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = type;
        *(uint*)(attr + 4) = keySize;
        *(uint*)(attr + 8) = valueSize;
        *(uint*)(attr + 12) = maxEntries;
        long fd = Call(MapCreate, attr);
        if (fd < 0)
            throw new BpfSyscallException("BPF_MAP_CREATE", Libc.Errno);
        return new FileDescriptor((int)fd);
    }

    public static void Update(FileDescriptor map, uint key, uint value)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = (uint)map.Value;
        *(ulong*)(attr + 8) = (ulong)&key;
        *(ulong*)(attr + 16) = (ulong)&value;
        if (Call(MapUpdateElem, attr) < 0)
            throw new BpfSyscallException("BPF_MAP_UPDATE_ELEM", Libc.Errno);
    }

    public static FileDescriptor LoadProgram(uint type, ReadOnlySpan<ulong> instructions)
    {
        byte[] license = "GPL\0"u8.ToArray();
        byte[] log = new byte[64 * 1024];
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (ulong* insns = instructions)
        fixed (byte* lic = license)
        fixed (byte* logBuf = log)
        {
            *(uint*)(attr + 0) = type;
            *(uint*)(attr + 4) = (uint)instructions.Length;
            *(ulong*)(attr + 8) = (ulong)insns;
            *(ulong*)(attr + 16) = (ulong)lic;
            *(uint*)(attr + 24) = 1;   // log_level
            *(uint*)(attr + 28) = (uint)log.Length;
            *(ulong*)(attr + 32) = (ulong)logBuf;
            long fd = Call(ProgLoad, attr);
            if (fd < 0)
            {
                int errno = Libc.Errno;
                throw new BpfVerifierException("rings test program", errno, Encoding.UTF8.GetString(log).TrimEnd('\0'));
            }
            return new FileDescriptor((int)fd);
        }
    }

    /// <summary>Runs the program <paramref name="repeat"/> times over a 64-byte zero packet; returns its last return value.</summary>
    public static uint TestRun(FileDescriptor program, uint repeat) => TestRun(program, repeat, out _);

    /// <summary>The same, with the kernel's average nanoseconds per run.</summary>
    public static uint TestRun(FileDescriptor program, uint repeat, out uint nanosecondsPerRun)
    {
        byte* packet = stackalloc byte[64];
        new Span<byte>(packet, 64).Clear();
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = (uint)program.Value;
        *(uint*)(attr + 8) = 64;
        *(ulong*)(attr + 16) = (ulong)packet;
        *(uint*)(attr + 32) = repeat;
        if (Call(ProgTestRun, attr) < 0)
            throw new BpfSyscallException("BPF_PROG_TEST_RUN", Libc.Errno);
        nanosecondsPerRun = *(uint*)(attr + 36);
        return *(uint*)(attr + 4);
    }

    // Instruction encoding: u8 opcode, u8 dst | src << 4, s16 offset, s32 immediate.
    public static ulong Insn(byte op, int dst, int src, short off, int imm) =>
        op | (ulong)(byte)(dst | src << 4) << 8 | (ulong)(ushort)off << 16 | (ulong)(uint)imm << 32;

    public static ulong MovImm64(int dst, int imm) => Insn(0xb7, dst, 0, 0, imm);
    public static ulong MovImm32(int dst, int imm) => Insn(0xb4, dst, 0, 0, imm);   // zero-extends
    public static ulong MovReg64(int dst, int src) => Insn(0xbf, dst, src, 0, 0);
    public static ulong AddImm64(int dst, int imm) => Insn(0x07, dst, 0, 0, imm);
    public static ulong StoreImm32(int dst, short off, int imm) => Insn(0x62, dst, 0, off, imm);
    public static ulong Call(int helper) => Insn(0x85, 0, 0, 0, helper);
    public static ulong Exit() => Insn(0x95, 0, 0, 0, 0);

    /// <summary>ld_imm64 of a map fd (BPF_PSEUDO_MAP_FD): two instruction slots.</summary>
    public static (ulong, ulong) LoadMapFd(int dst, FileDescriptor map) => (Insn(0x18, dst, 1, 0, map.Value), 0);

    /// <summary>
    /// A program that writes the 8 bytes (<paramref name="low"/>, <paramref name="high"/>) to the
    /// stack and sends them through <paramref name="map"/>: bpf_ringbuf_output for a ring buffer,
    /// bpf_perf_event_output(BPF_F_CURRENT_CPU) for a perf event array.
    /// </summary>
    public static ulong[] EmitEightBytes(FileDescriptor map, bool ringbuf, int low, int high) =>
        Emit(map, ringbuf, [low, high]);

    /// <summary>The same with any number of 32-bit words (at most 128: the stack is 512 bytes).</summary>
    public static ulong[] Emit(FileDescriptor map, bool ringbuf, ReadOnlySpan<int> words)
    {
        short size = (short)(4 * words.Length);
        (ulong mapLo, ulong mapHi) = LoadMapFd(ringbuf ? 1 : 2, map);
        var code = new List<ulong> { MovReg64(6, 1) };   // r6 = ctx
        for (int i = 0; i < words.Length; i++)
            code.Add(StoreImm32(10, (short)(-size + 4 * i), words[i]));
        if (ringbuf)
            code.AddRange([mapLo, mapHi, MovReg64(2, 10), AddImm64(2, -size), MovImm64(3, size), MovImm64(4, 0), Call(FuncRingbufOutput)]);
        else
            code.AddRange([MovReg64(1, 6), mapLo, mapHi, MovImm32(3, -1), MovReg64(4, 10), AddImm64(4, -size), MovImm64(5, size), Call(FuncPerfEventOutput)]);
        code.AddRange([MovImm64(0, 0), Exit()]);
        return [.. code];
    }

    public static int PossibleCpuCount() => BpfLoader.Kernel.CpuList.Parse(File.ReadAllText("/sys/devices/system/cpu/possible")).Cpus.Max() + 1;
}
