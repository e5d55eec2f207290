using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>bpf_attr for the commands that take one object fd: BPF_MAP_FREEZE (map_fd), BPF_LINK_DETACH (link_fd).</summary>
[StructLayout(LayoutKind.Explicit, Size = 4)]
internal struct ObjectFdAttr
{
    [FieldOffset(0)] public uint Fd;
}
