using System.Runtime.InteropServices;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Interop;

/// <summary>bpf_attr for BPF_LINK_CREATE: the common head and the per-type union's first words.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal struct LinkCreateAttr
{
    [FieldOffset(0)] public uint ProgFd;
    [FieldOffset(4)] public uint TargetFd;        // or target_ifindex (XDP, tcx)
    [FieldOffset(8)] public uint BpfAttachType;
    [FieldOffset(12)] public uint Flags;
    [FieldOffset(16)] public uint TargetBtfId;    // tracing.target_btf_id
    [FieldOffset(16)] public ulong BpfCookie;     // perf_event.bpf_cookie
    [FieldOffset(16)] public ulong IterInfo;      // iter_info: union bpf_iter_link_info *
    [FieldOffset(24)] public uint IterInfoLen;
}
