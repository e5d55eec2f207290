using BpfLoader.Errors;
using BpfLoader.Features;
using BpfLoader.Kernel;
using BpfLoader.Links;
using BpfLoader.Object;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;
using BpfLoader.Object.Spec;

namespace BpfLoader.Tests.Kernel;

public class LinkTests
{
    private const int Calls = 500;

    [KernelFact]
    public void Classic_tracepoint_program_counts_and_stops_when_disposed()
    {
        using var counting = new CountingProgram("tp_getpid", BpfProgramType.Tracepoint);
        TracepointLink link = TracepointLink.Attach(counting.Program, "syscalls", "sys_enter_getpid");
        Assert.Equal("tracepoint syscalls:sys_enter_getpid", link.Target);
        Assert.Equal(KernelFeatures.HasPerfLink, link.IsPerfLink);
        AssertCountsThenStops(counting, link);
    }

    [KernelFact]
    public void Classic_tracepoint_attached_by_ioctl_counts_and_stops_when_disposed()
    {
        using var counting = new CountingProgram("tp_ioctl", BpfProgramType.Tracepoint);
        TracepointLink link = TracepointLink.Attach(counting.Program, "syscalls", "sys_enter_getpid", usePerfLink: false);
        Assert.False(link.IsPerfLink);
        Assert.Same(link.PerfEvent, link.Fd);
        AssertCountsThenStops(counting, link);
    }

    [KernelFact]
    public void Raw_tracepoint_program_counts_and_stops_when_disposed()
    {
        using var counting = new CountingProgram("raw_sys_enter", BpfProgramType.RawTracepoint);
        RawTracepointLink link = RawTracepointLink.Attach(counting.Program, "sys_enter");
        Assert.Equal("raw_tracepoint sys_enter", link.Target);
        AssertCountsThenStops(counting, link);
    }

    [KernelFact]
    public void Tp_btf_program_loaded_with_attach_btf_id_counts_and_stops_when_disposed()
    {
        uint id = VmlinuxBtf.FindTypeId(VmlinuxBtf.KindTypedef, "btf_trace_sys_enter");
        using var counting = new CountingProgram("btf_sys_enter", BpfProgramType.Tracing, BpfAttachType.TraceRawTp, id);
        TracingLink link = TracingLink.Attach(counting.Program);
        Assert.Equal("tp_btf btf_sys_enter", link.Target);
        Assert.True(link.IsLinkCreate);   // kernel 6.10+ makes tp_btf links with BPF_LINK_CREATE
        Assert.Equal(id, counting.Program.GetInfo().AttachBtfId);
        AssertCountsThenStops(counting, link);
    }

    [KernelFact]
    public void A_btf_link_attached_by_its_section_is_named_by_its_target_not_by_the_program()
    {
        CollectionSpec spec = CollectionSpec.FromResource(typeof(LinkTests).Assembly, "compat_externs.bpf.o");
        using Collection objects = Collection.Load(spec, new CollectionOptions { Programs = ["externs"] });
        using BpfLink link = objects.Attach("externs");   // SEC("tp_btf/sys_enter")
        Assert.Equal("tp_btf sys_enter", link.Target);
    }

    [KernelFact]
    public void Program_of_the_wrong_type_is_refused_before_any_syscall()
    {
        using var counting = new CountingProgram("wrong_type", BpfProgramType.SocketFilter);
        var e = Assert.Throws<ArgumentException>(() => TracepointLink.Attach(counting.Program, "syscalls", "sys_enter_getpid"));
        Assert.Contains("Tracepoint", e.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Missing_tracepoint_names_itself_and_tracefs()
    {
        using var counting = new CountingProgram("missing_tp", BpfProgramType.Tracepoint);
        var e = Assert.Throws<BpfException>(() => TracepointLink.Attach(counting.Program, "sock", "no_such_tracepoint"));
        Assert.Contains("tracepoint sock:no_such_tracepoint not found in tracefs", e.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Missing_raw_tracepoint_is_ENOENT()
    {
        using var counting = new CountingProgram("missing_raw", BpfProgramType.RawTracepoint);
        var e = Assert.Throws<BpfSyscallException>(() => RawTracepointLink.Attach(counting.Program, "no_such_tracepoint"));
        Assert.Equal("BPF_RAW_TRACEPOINT_OPEN", e.Operation);
        Assert.Equal("ENOENT", e.ErrnoName);
    }

    /// <summary>Our getpid calls raise the count (others' calls may add more); after Dispose nothing does.</summary>
    private static void AssertCountsThenStops(CountingProgram counting, BpfLink link)
    {
        ulong start = counting.Count;
        Syscalls.GetPid(Calls);
        ulong attached = counting.Count;
        Assert.True(attached - start >= Calls, $"counted {attached - start} of {Calls} calls");

        link.Dispose();
        Syscalls.LetInFlightRunsFinish();
        ulong detached = counting.Count;
        Syscalls.GetPid(Calls);
        Assert.Equal(detached, counting.Count);
    }
}
