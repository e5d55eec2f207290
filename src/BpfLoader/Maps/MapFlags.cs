namespace BpfLoader.Maps;

/// <summary>map_flags for BPF_MAP_CREATE (BPF_F_* in &lt;linux/bpf.h&gt;).</summary>
[Flags]
public enum MapFlags : uint
{
    None = 0,
    NoPrealloc = 1U << 0,
    NoCommonLru = 1U << 1,
    NumaNode = 1U << 2,
    ReadOnly = 1U << 3,
    WriteOnly = 1U << 4,
    StackBuildId = 1U << 5,
    ZeroSeed = 1U << 6,
    ReadOnlyProgram = 1U << 7,
    WriteOnlyProgram = 1U << 8,
    Clone = 1U << 9,
    Mmapable = 1U << 10,
}
