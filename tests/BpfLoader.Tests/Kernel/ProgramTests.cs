using BpfLoader.Errors;
using BpfLoader.Kernel;
using BpfLoader.Links;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;

namespace BpfLoader.Tests.Kernel;

public class ProgramTests
{
    /// <summary>r0 = r2; exit: r2 was never written, which the verifier refuses.</summary>
    private static byte[] ReadsUninitialisedRegister() => new Asm().MovReg(Asm.R0, Asm.R2).Exit().ToArray();

    [KernelFact]
    public void Rejected_program_throws_with_the_verifier_log()
    {
        var e = Assert.Throws<BpfVerifierException>(() => BpfProgram.Load(new ProgramLoadOptions
        {
            Type = BpfProgramType.SocketFilter,
            Name = "uninit_read",
            Instructions = ReadsUninitialisedRegister(),
        }));
        Assert.Contains("R2 !read_ok", e.VerifierLog, StringComparison.Ordinal);
        Assert.Contains("R2 !read_ok", e.Message, StringComparison.Ordinal);
        Assert.Equal("uninit_read", e.ProgramName);
        Assert.Equal("BPF_PROG_LOAD uninit_read", e.Operation);
        Assert.Equal("EACCES", e.ErrnoName);
    }

    [KernelFact]
    public void Verifier_log_shows_the_source_line_when_BTF_line_info_is_given()
    {
        var btf = new MinimalBtf("uninit_read", "/src/uninit.bpf.c");
        btf.AddLine(0, "return ctx_unset_register;", 42);
        btf.AddLine(1, "}", 43);
        using BtfHandle handle = BtfHandle.Load(btf.Blob());

        var e = Assert.Throws<BpfVerifierException>(() => BpfProgram.Load(new ProgramLoadOptions
        {
            Type = BpfProgramType.SocketFilter,
            Name = "uninit_read",
            Instructions = ReadsUninitialisedRegister(),
            Btf = handle,
            FuncInfo = btf.FuncInfo(),
            FuncInfoRecordSize = MinimalBtf.FuncInfoRecordSize,
            FuncInfoCount = 1,
            LineInfo = btf.LineInfo(),
            LineInfoRecordSize = MinimalBtf.LineInfoRecordSize,
            LineInfoCount = btf.LineCount,
        }));
        Assert.Contains("return ctx_unset_register;", e.VerifierLog, StringComparison.Ordinal);
        Assert.Contains("R2 !read_ok", e.VerifierLog, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Malformed_BTF_throws_with_the_kernel_BTF_log()
    {
        byte[] blob = new MinimalBtf("f", "f.c").Blob();
        blob[24 + 4 + 3] = 0x1f;   // the first type's kind byte: no such kind
        var e = Assert.Throws<BtfLoadException>(() => BtfHandle.Load(blob));
        Assert.Equal("BPF_BTF_LOAD", e.Operation);
        Assert.False(string.IsNullOrWhiteSpace(e.BtfLog));
        Assert.Contains(e.BtfLog.Trim().Split('\n')[^1].Trim(), e.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Log_level_keeps_the_log_of_an_accepted_program()
    {
        using var counting = new CountingProgram("logged", BpfProgramType.SocketFilter);
        using BpfProgram program = BpfProgram.Load(new ProgramLoadOptions
        {
            Type = BpfProgramType.SocketFilter,
            Name = "logged",
            Instructions = CountingProgram.Instructions(counting.Counter.Fd.Value),
            LogLevel = 2,
        });
        Assert.Contains("processed", program.VerifierLog, StringComparison.Ordinal);
        Assert.Empty(counting.Program.VerifierLog);
    }

    [KernelFact]
    public void Info_has_the_sanitised_name_and_with_stats_the_run_count()
    {
        using BpfStats stats = BpfStats.Enable();
        using var counting = new CountingProgram("count-getpid!", BpfProgramType.Tracepoint);
        Assert.Equal("count_getpid_", counting.Program.Name);

        ProgramInfo before = counting.Program.GetInfo();
        Assert.Equal("count_getpid_", before.Name);
        Assert.Equal(BpfProgramType.Tracepoint, before.Type);
        Assert.True(before.Id > 0);
        Assert.True(before.VerifiedInstructions > 0);
        Assert.Equal(0UL, before.RunCount);

        using (TracepointLink.Attach(counting.Program, "syscalls", "sys_enter_getpid"))
            Syscalls.GetPid(1000);

        ProgramInfo after = counting.Program.GetInfo();
        Assert.True(after.RunCount >= 1000, $"run_cnt {after.RunCount}");
        Assert.True(after.RunTimeNs > 0);
        Assert.True(counting.Count >= 1000);
        Assert.Equal(before.Id, after.Id);

        ProgramRunStatistics run = counting.Program.GetRunStatistics();
        Assert.Equal((after.RunTimeNs, after.RunCount, after.RecursionMisses), (run.RunTimeNs, run.RunCount, run.RecursionMisses));
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) run = counting.Program.GetRunStatistics();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - allocated);
    }

    [Fact]
    public void Instructions_must_be_whole_8_byte_slots()
        => Assert.Throws<ArgumentException>(() => BpfProgram.Load(new ProgramLoadOptions { Type = BpfProgramType.SocketFilter, Instructions = new byte[12] }));
}
