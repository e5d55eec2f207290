using BpfLoader.Object.Uapi;

namespace BpfLoader.Object.Spec;

/// <summary>What a program's ELF section name says: its program type, expected attach type and attach target.</summary>
/// <param name="Type">The program type; <see cref="BpfProgramType.Unspec"/> for a section name no entry of the table knows.</param>
/// <param name="AttachType">expected_attach_type for BPF_PROG_LOAD, and the attach type of the link; null for none.</param>
/// <param name="AttachTo">What follows the prefix's slash (a tracepoint, function, iterator or probe target), or null.</param>
public readonly record struct ProgramSection(BpfProgramType Type, BpfAttachType? AttachType, string? AttachTo)
{
    /// <summary>How a table entry's prefix may be followed.</summary>
    private enum Suffix
    {
        /// <summary>Exactly the prefix (<c>xdp</c>, <c>sockops</c>, <c>cgroup/connect4</c>).</summary>
        None,
        /// <summary>The prefix, a slash and a non-empty target (<c>tp_btf/NAME</c>).</summary>
        Required,
        /// <summary>The bare prefix, or the prefix, a slash and a target (libbpf's <c>kprobe+</c>: <c>raw_tp</c> and <c>raw_tp/NAME</c>).</summary>
        Optional,
    }

    private readonly record struct Entry(string Prefix, BpfProgramType Type, BpfAttachType? AttachType, Suffix Suffix, bool Return = false);

    // libbpf's section_defs (libbpf.c), in its order where a shorter prefix would shadow a longer one.
    // Sleepable (".s") and multi-attach variants are not here: they need load flags and links this loader lacks.
    private static readonly Entry[] Table =
    [
        new("socket", BpfProgramType.SocketFilter, null, Suffix.Optional),
        new("sk_reuseport/migrate", BpfProgramType.SkReuseport, BpfAttachType.SkReuseportSelectOrMigrate, Suffix.None),
        new("sk_reuseport", BpfProgramType.SkReuseport, BpfAttachType.SkReuseportSelect, Suffix.None),
        new("kprobe", BpfProgramType.Kprobe, null, Suffix.Optional),
        new("uprobe", BpfProgramType.Kprobe, null, Suffix.Optional),
        new("kretprobe", BpfProgramType.Kprobe, null, Suffix.Optional, Return: true),
        new("uretprobe", BpfProgramType.Kprobe, null, Suffix.Optional, Return: true),
        new("ksyscall", BpfProgramType.Kprobe, null, Suffix.Optional),
        new("kretsyscall", BpfProgramType.Kprobe, null, Suffix.Optional, Return: true),
        new("tc/ingress", BpfProgramType.SchedCls, BpfAttachType.TcxIngress, Suffix.None),
        new("tc/egress", BpfProgramType.SchedCls, BpfAttachType.TcxEgress, Suffix.None),
        new("tcx/ingress", BpfProgramType.SchedCls, BpfAttachType.TcxIngress, Suffix.None),
        new("tcx/egress", BpfProgramType.SchedCls, BpfAttachType.TcxEgress, Suffix.None),
        new("tc", BpfProgramType.SchedCls, null, Suffix.Optional),
        new("classifier", BpfProgramType.SchedCls, null, Suffix.Optional),
        new("action", BpfProgramType.SchedAct, null, Suffix.Optional),
        new("tracepoint", BpfProgramType.Tracepoint, null, Suffix.Optional),
        new("tp", BpfProgramType.Tracepoint, null, Suffix.Optional),
        new("raw_tracepoint", BpfProgramType.RawTracepoint, null, Suffix.Optional),
        new("raw_tp", BpfProgramType.RawTracepoint, null, Suffix.Optional),
        new("raw_tracepoint.w", BpfProgramType.RawTracepointWritable, null, Suffix.Optional),
        new("raw_tp.w", BpfProgramType.RawTracepointWritable, null, Suffix.Optional),
        new("tp_btf", BpfProgramType.Tracing, BpfAttachType.TraceRawTp, Suffix.Required),
        new("fentry", BpfProgramType.Tracing, BpfAttachType.TraceFentry, Suffix.Required),
        new("fmod_ret", BpfProgramType.Tracing, BpfAttachType.ModifyReturn, Suffix.Required),
        new("fexit", BpfProgramType.Tracing, BpfAttachType.TraceFexit, Suffix.Required),
        new("lsm", BpfProgramType.Lsm, BpfAttachType.LsmMac, Suffix.Required),
        new("lsm_cgroup", BpfProgramType.Lsm, BpfAttachType.LsmCgroup, Suffix.Required),
        new("iter", BpfProgramType.Tracing, BpfAttachType.TraceIter, Suffix.Required),
        new("syscall", BpfProgramType.Syscall, null, Suffix.None),
        new("xdp/devmap", BpfProgramType.Xdp, BpfAttachType.XdpDevmap, Suffix.None),
        new("xdp/cpumap", BpfProgramType.Xdp, BpfAttachType.XdpCpumap, Suffix.None),
        new("xdp", BpfProgramType.Xdp, BpfAttachType.Xdp, Suffix.None),
        new("perf_event", BpfProgramType.PerfEvent, null, Suffix.None),
        new("lwt_in", BpfProgramType.LwtIn, null, Suffix.None),
        new("lwt_out", BpfProgramType.LwtOut, null, Suffix.None),
        new("lwt_xmit", BpfProgramType.LwtXmit, null, Suffix.None),
        new("lwt_seg6local", BpfProgramType.LwtSeg6local, null, Suffix.None),
        new("sockops", BpfProgramType.SockOps, BpfAttachType.CgroupSockOps, Suffix.None),
        new("sk_skb/stream_parser", BpfProgramType.SkSkb, BpfAttachType.SkSkbStreamParser, Suffix.None),
        new("sk_skb/stream_verdict", BpfProgramType.SkSkb, BpfAttachType.SkSkbStreamVerdict, Suffix.None),
        new("sk_skb/verdict", BpfProgramType.SkSkb, BpfAttachType.SkSkbVerdict, Suffix.None),
        new("sk_skb", BpfProgramType.SkSkb, null, Suffix.None),
        new("sk_msg", BpfProgramType.SkMsg, BpfAttachType.SkMsgVerdict, Suffix.None),
        new("lirc_mode2", BpfProgramType.LircMode2, BpfAttachType.LircMode2, Suffix.None),
        new("flow_dissector", BpfProgramType.FlowDissector, BpfAttachType.FlowDissector, Suffix.None),
        new("cgroup_skb/ingress", BpfProgramType.CgroupSkb, BpfAttachType.CgroupInetIngress, Suffix.None),
        new("cgroup_skb/egress", BpfProgramType.CgroupSkb, BpfAttachType.CgroupInetEgress, Suffix.None),
        new("cgroup/skb", BpfProgramType.CgroupSkb, null, Suffix.None),
        new("cgroup/sock_create", BpfProgramType.CgroupSock, BpfAttachType.CgroupInetSockCreate, Suffix.None),
        new("cgroup/sock_release", BpfProgramType.CgroupSock, BpfAttachType.CgroupInetSockRelease, Suffix.None),
        new("cgroup/sock", BpfProgramType.CgroupSock, BpfAttachType.CgroupInetSockCreate, Suffix.None),
        new("cgroup/post_bind4", BpfProgramType.CgroupSock, BpfAttachType.CgroupInet4PostBind, Suffix.None),
        new("cgroup/post_bind6", BpfProgramType.CgroupSock, BpfAttachType.CgroupInet6PostBind, Suffix.None),
        new("cgroup/bind4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet4Bind, Suffix.None),
        new("cgroup/bind6", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet6Bind, Suffix.None),
        new("cgroup/connect4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet4Connect, Suffix.None),
        new("cgroup/connect6", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet6Connect, Suffix.None),
        new("cgroup/connect_unix", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUnixConnect, Suffix.None),
        new("cgroup/sendmsg4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUdp4Sendmsg, Suffix.None),
        new("cgroup/sendmsg6", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUdp6Sendmsg, Suffix.None),
        new("cgroup/sendmsg_unix", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUnixSendmsg, Suffix.None),
        new("cgroup/recvmsg4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUdp4Recvmsg, Suffix.None),
        new("cgroup/recvmsg6", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUdp6Recvmsg, Suffix.None),
        new("cgroup/recvmsg_unix", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUnixRecvmsg, Suffix.None),
        new("cgroup/getpeername4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet4Getpeername, Suffix.None),
        new("cgroup/getpeername6", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet6Getpeername, Suffix.None),
        new("cgroup/getpeername_unix", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUnixGetpeername, Suffix.None),
        new("cgroup/getsockname4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet4Getsockname, Suffix.None),
        new("cgroup/getsockname6", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet6Getsockname, Suffix.None),
        new("cgroup/getsockname_unix", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUnixGetsockname, Suffix.None),
        new("cgroup/sysctl", BpfProgramType.CgroupSysctl, BpfAttachType.CgroupSysctl, Suffix.None),
        new("cgroup/getsockopt", BpfProgramType.CgroupSockopt, BpfAttachType.CgroupGetsockopt, Suffix.None),
        new("cgroup/setsockopt", BpfProgramType.CgroupSockopt, BpfAttachType.CgroupSetsockopt, Suffix.None),
        new("cgroup/dev", BpfProgramType.CgroupDevice, BpfAttachType.CgroupDevice, Suffix.None),
        new("sk_lookup", BpfProgramType.SkLookup, BpfAttachType.SkLookup, Suffix.None),
    ];

    /// <summary>
    /// libbpf's section names (its <c>section_defs</c>): <c>tracepoint/CAT/NAME</c> and <c>tp/CAT/NAME</c>,
    /// <c>raw_tp[/NAME]</c>, <c>tp_btf/NAME</c>, <c>fentry/</c>, <c>fexit/</c>, <c>fmod_ret/</c>, <c>lsm/HOOK</c>,
    /// <c>iter/TARGET</c>, <c>kprobe[/FN]</c>, <c>kretprobe</c>, <c>uprobe[/PATH:FN]</c>, <c>uretprobe</c>,
    /// <c>xdp</c>, <c>tc</c>, <c>tcx/ingress</c>, <c>tcx/egress</c>, <c>socket</c>, <c>perf_event</c>,
    /// <c>sockops</c>, <c>cgroup_skb/ingress|egress</c>, <c>cgroup/connect4</c> and the other cgroup hooks,
    /// <c>sk_skb</c>, <c>sk_msg</c>, <c>sk_lookup</c>, <c>flow_dissector</c>, <c>lwt_*</c>.
    /// False for any other name, or a tracepoint that is not CAT/NAME.
    /// </summary>
    /// <param name="section">The ELF section name.</param>
    /// <param name="result">The parsed section; default when false.</param>
    public static bool TryParse(string section, out ProgramSection result)
    {
        ArgumentNullException.ThrowIfNull(section);
        result = default;
        foreach (Entry e in Table)
        {
            if (!section.StartsWith(e.Prefix, StringComparison.Ordinal)) continue;
            string rest = section[e.Prefix.Length..];
            string? target;
            if (rest.Length == 0)
            {
                if (e.Suffix == Suffix.Required) continue;
                target = null;
            }
            else if (rest[0] == '/' && e.Suffix != Suffix.None)
            {
                target = rest[1..];
                if (target.Length == 0) continue;
            }
            else
            {
                continue;
            }
            if (e.Type == BpfProgramType.Tracepoint && target is not null && !IsTracepoint(target)) return false;
            result = new ProgramSection(e.Type, e.AttachType, target) { IsReturnProbe = e.Return };
            return true;
        }
        return false;
    }

    /// <summary>
    /// The section as <see cref="TryParse"/> reads it, or for a name it does not know a section of type
    /// <see cref="BpfProgramType.Unspec"/>: such a program is kept in the spec and reported by
    /// the kernel assembly's <c>Collection.Load</c> (<c>Collection.SkippedPrograms</c>) rather than failing the object.
    /// </summary>
    /// <param name="section">The ELF section name.</param>
    public static ProgramSection Parse(string section) =>
        TryParse(section, out ProgramSection result) ? result : new ProgramSection(BpfProgramType.Unspec, null, null);

    /// <summary>True for a return probe: <c>kretprobe</c>, <c>uretprobe</c>, <c>kretsyscall</c>.</summary>
    public bool IsReturnProbe { get; init; }

    /// <summary>True when the section name is one this loader knows (<see cref="Type"/> is not Unspec).</summary>
    public bool IsKnown => Type != BpfProgramType.Unspec;

    private static bool IsTracepoint(string target)
    {
        int slash = target.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && slash < target.Length - 1 && target.IndexOf('/', slash + 1) < 0;
    }
}
