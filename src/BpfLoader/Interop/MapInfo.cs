using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>struct bpf_map_info, the head we read.</summary>
[StructLayout(LayoutKind.Explicit, Size = 88)]
internal unsafe struct MapInfo
{
    [FieldOffset(0)] public uint Type;
    [FieldOffset(4)] public uint Id;
    [FieldOffset(8)] public uint KeySize;
    [FieldOffset(12)] public uint ValueSize;
    [FieldOffset(16)] public uint MaxEntries;
    [FieldOffset(20)] public uint MapFlags;
    [FieldOffset(24)] public fixed byte Name[ObjectName.Length];
    [FieldOffset(64)] public uint BtfId;
}
