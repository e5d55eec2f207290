using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>struct bpf_prog_info, the fields we read (offsets as in &lt;linux/bpf.h&gt;); pointers stay 0 so the kernel copies no arrays.</summary>
[StructLayout(LayoutKind.Explicit, Size = 232)]
internal unsafe struct ProgInfo
{
    [FieldOffset(0)] public uint Type;
    [FieldOffset(4)] public uint Id;
    [FieldOffset(8)] public fixed byte Tag[8];
    [FieldOffset(16)] public uint JitedProgLen;
    [FieldOffset(20)] public uint XlatedProgLen;
    [FieldOffset(40)] public ulong LoadTime;
    [FieldOffset(48)] public uint CreatedByUid;
    [FieldOffset(64)] public fixed byte Name[ObjectName.Length];
    [FieldOffset(128)] public uint BtfId;
    [FieldOffset(192)] public ulong RunTimeNs;
    [FieldOffset(200)] public ulong RunCnt;
    [FieldOffset(208)] public ulong RecursionMisses;
    [FieldOffset(216)] public uint VerifiedInsns;
    [FieldOffset(220)] public uint AttachBtfObjId;
    [FieldOffset(224)] public uint AttachBtfId;
}
