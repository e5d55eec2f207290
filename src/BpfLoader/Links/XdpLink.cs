using BpfLoader.Interop;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;

namespace BpfLoader.Links;

/// <summary>
/// An XDP program on a network interface through a bpf_link (BPF_LINK_CREATE with BPF_XDP, 5.9+):
/// closing the link detaches it, and another process cannot replace it by accident.
/// </summary>
public sealed class XdpLink : BpfLink
{
    private XdpLink(FileDescriptor fd, string target) : base(fd, target) { }

    /// <summary>Attaches to the interface with this index (in the calling thread's network namespace).</summary>
    /// <param name="program">An XDP program.</param>
    /// <param name="interfaceIndex">The interface's index (<c>ip link</c> shows it).</param>
    /// <param name="mode">Driver (native) or generic (skb) XDP; <see cref="XdpMode.Default"/> lets the kernel choose.</param>
    public static XdpLink Attach(BpfProgram program, int interfaceIndex, XdpMode mode = XdpMode.Default)
    {
        RequireType(program, "an interface's XDP hook", BpfProgramType.Xdp);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(interfaceIndex);
        string target = $"xdp on ifindex {interfaceIndex}";
        return new XdpLink(LinkCreate(program, interfaceIndex, BpfAttachType.Xdp, target, (uint)mode), target);
    }

    /// <summary>Attaches to the interface with this name (in the calling thread's network namespace).</summary>
    /// <param name="program">An XDP program.</param>
    /// <param name="interfaceName">The interface, e.g. "veth0".</param>
    /// <param name="mode">Driver (native) or generic (skb) XDP; <see cref="XdpMode.Default"/> lets the kernel choose.</param>
    public static XdpLink Attach(BpfProgram program, string interfaceName, XdpMode mode = XdpMode.Default)
        => Attach(program, InterfaceIndex(interfaceName), mode);
}
