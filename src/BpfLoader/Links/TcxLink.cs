using BpfLoader.Interop;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;

namespace BpfLoader.Links;

/// <summary>
/// A tc (sched_cls) program on an interface's tcx hook (BPF_LINK_CREATE with BPF_TCX_INGRESS or
/// BPF_TCX_EGRESS, 6.6+): no qdisc, no netlink; appended after the programs already there, which keep running.
/// </summary>
public sealed class TcxLink : BpfLink
{
    private TcxLink(FileDescriptor fd, string target) : base(fd, target) { }

    /// <summary>Attaches to the interface with this index (in the calling thread's network namespace).</summary>
    /// <param name="program">A sched_cls program.</param>
    /// <param name="interfaceIndex">The interface's index.</param>
    /// <param name="direction">Ingress or egress.</param>
    public static TcxLink Attach(BpfProgram program, int interfaceIndex, TcxDirection direction)
    {
        RequireType(program, "an interface's tcx hook", BpfProgramType.SchedCls);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(interfaceIndex);
        BpfAttachType type = direction == TcxDirection.Egress ? BpfAttachType.TcxEgress : BpfAttachType.TcxIngress;
        string target = $"tcx {(direction == TcxDirection.Egress ? "egress" : "ingress")} on ifindex {interfaceIndex}";
        return new TcxLink(LinkCreate(program, interfaceIndex, type, target), target);
    }

    /// <summary>Attaches to the interface with this name (in the calling thread's network namespace).</summary>
    /// <param name="program">A sched_cls program.</param>
    /// <param name="interfaceName">The interface, e.g. "veth0".</param>
    /// <param name="direction">Ingress or egress.</param>
    public static TcxLink Attach(BpfProgram program, string interfaceName, TcxDirection direction)
        => Attach(program, InterfaceIndex(interfaceName), direction);
}
