using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>bpf_attr for BPF_LINK_CREATE: the common head and the first word of the per-type union.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct LinkCreateAttr
{
    [FieldOffset(0)] public uint ProgFd;
    [FieldOffset(4)] public uint TargetFd;        // or target_ifindex
    [FieldOffset(8)] public uint BpfAttachType;
    [FieldOffset(12)] public uint Flags;
    [FieldOffset(16)] public uint TargetBtfId;    // tracing.target_btf_id
    [FieldOffset(16)] public ulong BpfCookie;     // perf_event.bpf_cookie
}
