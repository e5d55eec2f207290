using BpfLoader.Object.Spec;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Object.Tests.Attach;

/// <summary>libbpf's section names (section_defs in libbpf.c) give libbpf's program and attach types.</summary>
public sealed class SectionNameTests
{
    [Theory]
    [InlineData("xdp", BpfProgramType.Xdp, BpfAttachType.Xdp, null)]
    [InlineData("xdp/devmap", BpfProgramType.Xdp, BpfAttachType.XdpDevmap, null)]
    [InlineData("tc", BpfProgramType.SchedCls, null, null)]
    [InlineData("classifier", BpfProgramType.SchedCls, null, null)]
    [InlineData("tcx/ingress", BpfProgramType.SchedCls, BpfAttachType.TcxIngress, null)]
    [InlineData("tcx/egress", BpfProgramType.SchedCls, BpfAttachType.TcxEgress, null)]
    [InlineData("tc/ingress", BpfProgramType.SchedCls, BpfAttachType.TcxIngress, null)]
    [InlineData("socket", BpfProgramType.SocketFilter, null, null)]
    [InlineData("cgroup_skb/ingress", BpfProgramType.CgroupSkb, BpfAttachType.CgroupInetIngress, null)]
    [InlineData("cgroup_skb/egress", BpfProgramType.CgroupSkb, BpfAttachType.CgroupInetEgress, null)]
    [InlineData("sockops", BpfProgramType.SockOps, BpfAttachType.CgroupSockOps, null)]
    [InlineData("cgroup/connect4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet4Connect, null)]
    [InlineData("cgroup/connect6", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet6Connect, null)]
    [InlineData("cgroup/sendmsg4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUdp4Sendmsg, null)]
    [InlineData("cgroup/sock_create", BpfProgramType.CgroupSock, BpfAttachType.CgroupInetSockCreate, null)]
    [InlineData("cgroup/sock", BpfProgramType.CgroupSock, BpfAttachType.CgroupInetSockCreate, null)]
    [InlineData("cgroup/dev", BpfProgramType.CgroupDevice, BpfAttachType.CgroupDevice, null)]
    [InlineData("cgroup/getsockopt", BpfProgramType.CgroupSockopt, BpfAttachType.CgroupGetsockopt, null)]
    [InlineData("perf_event", BpfProgramType.PerfEvent, null, null)]
    [InlineData("iter/task", BpfProgramType.Tracing, BpfAttachType.TraceIter, "task")]
    [InlineData("lsm/file_open", BpfProgramType.Lsm, BpfAttachType.LsmMac, "file_open")]
    [InlineData("fmod_ret/x", BpfProgramType.Tracing, BpfAttachType.ModifyReturn, "x")]
    [InlineData("raw_tp", BpfProgramType.RawTracepoint, null, null)]
    [InlineData("raw_tracepoint", BpfProgramType.RawTracepoint, null, null)]
    [InlineData("raw_tp.w/x", BpfProgramType.RawTracepointWritable, null, "x")]
    [InlineData("kprobe", BpfProgramType.Kprobe, null, null)]
    [InlineData("uprobe", BpfProgramType.Kprobe, null, null)]
    [InlineData("uprobe//usr/lib/libc.so.6:malloc", BpfProgramType.Kprobe, null, "/usr/lib/libc.so.6:malloc")]
    [InlineData("uretprobe/lib:f", BpfProgramType.Kprobe, null, "lib:f")]
    [InlineData("sk_skb/stream_verdict", BpfProgramType.SkSkb, BpfAttachType.SkSkbStreamVerdict, null)]
    [InlineData("sk_msg", BpfProgramType.SkMsg, BpfAttachType.SkMsgVerdict, null)]
    [InlineData("sk_lookup", BpfProgramType.SkLookup, BpfAttachType.SkLookup, null)]
    [InlineData("flow_dissector", BpfProgramType.FlowDissector, BpfAttachType.FlowDissector, null)]
    public void Libbpf_section_names_give_libbpf_types(string section, BpfProgramType type, BpfAttachType? attach, string? target)
    {
        Assert.True(ProgramSection.TryParse(section, out ProgramSection parsed), section);
        Assert.Equal((type, attach, target), (parsed.Type, parsed.AttachType, parsed.AttachTo));
        Assert.Equal(section.StartsWith("uret", StringComparison.Ordinal) || section.StartsWith("kret", StringComparison.Ordinal), parsed.IsReturnProbe);
    }

    [Theory]
    [InlineData("xdpfoo")]
    [InlineData("sockops/x")]
    [InlineData("lsm")]
    [InlineData("iter/")]
    [InlineData("tcx/sideways")]
    public void Near_misses_of_libbpf_names_are_not_taken(string section) =>
        Assert.False(ProgramSection.TryParse(section, out _));
}
