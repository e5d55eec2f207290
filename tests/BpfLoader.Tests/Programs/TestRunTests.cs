using System.Buffers.Binary;
using BpfLoader.Errors;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;
using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Programs;

/// <summary>BPF_PROG_TEST_RUN on crafted packets (test_run.bpf.c) and on a context (raw tracepoint, syscall).</summary>
public sealed class TestRunTests
{
    private const uint XdpPass = 2, XdpTx = 3;

    private static Collection Load() =>
        Collection.Load(CollectionSpec.FromResource(typeof(TestRunTests).Assembly, "test_run.bpf.o"));

    /// <summary>Ethernet + IPv4 (+ 8 bytes of UDP or TCP header) + payload.</summary>
    private static byte[] Packet(byte protocol, int payload = 32)
    {
        var p = new byte[14 + 20 + 8 + payload];
        for (int i = 0; i < 12; i++) p[i] = (byte)(0x10 + i);   // destination and source MAC
        p[12] = 0x08;                                          // EtherType IPv4
        p[14] = 0x45;                                          // version 4, 20-byte header
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(16), (ushort)(p.Length - 14));
        p[22] = 64;                                            // TTL
        p[23] = protocol;
        p[26] = 127; p[29] = 1; p[30] = 127; p[33] = 1;        // 127.0.0.1 -> 127.0.0.1
        for (int i = 42; i < p.Length; i++) p[i] = (byte)i;
        return p;
    }

    [KernelFact]
    public void XDP_program_rewrites_and_returns_for_a_crafted_UDP_packet_and_passes_TCP()
    {
        using Collection objects = Load();
        BpfProgram xdp = objects.Programs["mark_udp"];

        byte[] udp = Packet(17);
        var output = new byte[udp.Length + 64];
        ProgramTestRun run = xdp.TestRun(udp, output);
        Assert.Equal(XdpTx, run.ReturnValue);
        Assert.Equal(udp.Length, run.DataOutLength);
        Assert.False(run.Truncated);
        Assert.Equal(0xff, output[0]);
        Assert.Equal(udp[1..], output[1..udp.Length]);
        Assert.Equal(0x10, udp[0]);   // the input is the caller's, untouched

        byte[] tcp = Packet(6);
        run = xdp.TestRun(tcp, output, repeat: 5);
        Assert.Equal(XdpPass, run.ReturnValue);
        Assert.Equal(tcp, output[..run.DataOutLength]);

        Assert.Equal(0u, xdp.TestRun(new byte[20]).ReturnValue);   // too short: XDP_ABORTED
    }

    [KernelFact]
    public void Socket_filter_sees_the_packet_length_past_its_Ethernet_header()
    {
        using Collection objects = Load();
        BpfProgram filter = objects.Programs["long_packets"];
        // A socket filter sees the packet from its network header: the 14 Ethernet bytes are pulled off.
        Assert.Equal(82u - 14, filter.TestRun(Packet(17, payload: 40)).ReturnValue);
        Assert.Equal(0u, filter.TestRun(Packet(17, payload: 4)).ReturnValue);   // 32 bytes past Ethernet: dropped
    }

    [KernelFact]
    public void Data_out_larger_than_the_buffer_is_cut_and_reported_as_truncated()
    {
        using Collection objects = Load();
        byte[] udp = Packet(17);
        var small = new byte[16];
        ProgramTestRun run = objects.Programs["mark_udp"].TestRun(udp, small);
        Assert.True(run.Truncated);
        Assert.Equal(XdpTx, run.ReturnValue);
        Assert.Equal(udp.Length, run.DataOutLength);
        Assert.Equal(0xff, small[0]);
        Assert.Equal(udp[1..16], small[1..]);
    }

    [KernelFact]
    public void Syscall_program_reads_and_changes_its_context()
    {
        // r2 = *(u32 *)(r1 + 4); r2 += 1; *(u32 *)(r1 + 0) = r2; r0 = 7; exit
        byte[] code =
        [
            0x61, 0x12, 4, 0, 0, 0, 0, 0,
            .. new BpfLoader.Tests.Kernel.Asm().AddImm(BpfLoader.Tests.Kernel.Asm.R2, 1).ToArray(),
            0x63, 0x21, 0, 0, 0, 0, 0, 0,
            .. new BpfLoader.Tests.Kernel.Asm().MovImm(BpfLoader.Tests.Kernel.Asm.R0, 7).Exit().ToArray(),
        ];
        using BpfProgram program = BpfProgram.Load(new ProgramLoadOptions
        {
            Type = BpfProgramType.Syscall,
            Name = "ctx_inc",
            Instructions = code,
            License = "GPL",
            Flags = ProgramFlags.Sleepable,
        });
        byte[] context = [0, 0, 0, 0, 41, 0, 0, 0];
        var after = new byte[8];
        ProgramTestRun run = program.TestRun(default, context: context, contextOut: after);
        Assert.Equal(7u, run.ReturnValue);
        Assert.Equal(8, run.ContextOutLength);
        Assert.Equal(42u, BinaryPrimitives.ReadUInt32LittleEndian(after));
        Assert.Equal(41u, BinaryPrimitives.ReadUInt32LittleEndian(after.AsSpan(4)));
        Assert.Equal(0, context[0]);   // the caller's input is not written
    }

    [KernelFact]
    public void Raw_tracepoint_program_runs_on_the_CPU_asked_for()
    {
        // r0 = bpf_get_smp_processor_id() (helper 8); exit
        byte[] code = new BpfLoader.Tests.Kernel.Asm().Call(8).Exit().ToArray();
        using BpfProgram program = BpfProgram.Load(new ProgramLoadOptions
        {
            Type = BpfProgramType.RawTracepoint,
            Name = "which_cpu",
            Instructions = code,
            License = "GPL",
        });
        int cpu = BpfLoader.Kernel.CpuList.OnlinePossible().Cpus[^1];
        Assert.Equal((uint)cpu, program.TestRun(default, cpu: cpu).ReturnValue);
    }

    [KernelFact]
    public void A_program_type_the_kernel_cannot_run_is_a_typed_error()
    {
        using var counting = new CountingProgram("no_test_run", BpfProgramType.Tracepoint);
        var e = Assert.Throws<BpfSyscallException>(() => counting.Program.TestRun(new byte[64]));
        Assert.Equal("BPF_PROG_TEST_RUN", e.Operation);
        Assert.Contains("no_test_run", e.Message, StringComparison.Ordinal);
    }
}
