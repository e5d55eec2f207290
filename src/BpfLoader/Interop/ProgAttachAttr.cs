using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>bpf_attr for BPF_PROG_ATTACH and BPF_PROG_DETACH (the pre-link interface, for sk_skb/sk_msg on a sockmap and the like).</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct ProgAttachAttr
{
    [FieldOffset(0)] public uint TargetFd;
    [FieldOffset(4)] public uint AttachBpfFd;
    [FieldOffset(8)] public uint AttachType;
    [FieldOffset(12)] public uint AttachFlags;
}
