using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>bpf_attr for BPF_OBJ_GET_INFO_BY_FD: the kernel fills min(info_len, its size) bytes of the info struct.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct ObjGetInfoAttr
{
    [FieldOffset(0)] public uint BpfFd;
    [FieldOffset(4)] public uint InfoLen;
    [FieldOffset(8)] public ulong Info;
}
