using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>bpf_attr for BPF_ENABLE_STATS.</summary>
[StructLayout(LayoutKind.Explicit, Size = 4)]
internal struct EnableStatsAttr
{
    public const uint StatsRunTime = 0;   // BPF_STATS_RUN_TIME

    [FieldOffset(0)] public uint Type;
}
