using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>struct bpf_link_info, the head we read (the kernel fills only as much as we ask for).</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct LinkInfo
{
    [FieldOffset(0)] public uint Type;
    [FieldOffset(4)] public uint Id;
    [FieldOffset(8)] public uint ProgId;
}
