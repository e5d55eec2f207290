using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>bpf_attr for BPF_BTF_LOAD.</summary>
[StructLayout(LayoutKind.Explicit, Size = 28)]
internal struct BtfLoadAttr : IKernelLogAttr
{
    [FieldOffset(0)] public ulong Btf;
    [FieldOffset(8)] public ulong BtfLogBuf;
    [FieldOffset(16)] public uint BtfSize;
    [FieldOffset(20)] public uint BtfLogSize;
    [FieldOffset(24)] public uint BtfLogLevel;

    public void SetLog(ulong buffer, uint size, uint level)
    {
        BtfLogBuf = buffer;
        BtfLogSize = size;
        BtfLogLevel = level;
    }
}
