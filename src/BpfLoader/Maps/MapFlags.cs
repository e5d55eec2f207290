namespace BpfLoader.Maps;

/// <summary>map_flags for BPF_MAP_CREATE (BPF_F_* in &lt;linux/bpf.h&gt;).</summary>
[Flags]
public enum MapFlags : uint
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>BPF_F_NO_PREALLOC: allocate hash entries on demand.</summary>
    NoPrealloc = 1U << 0,
    /// <summary>BPF_F_NO_COMMON_LRU: one LRU list per CPU.</summary>
    NoCommonLru = 1U << 1,
    /// <summary>BPF_F_NUMA_NODE: place the map on the NUMA node given with it.</summary>
    NumaNode = 1U << 2,
    /// <summary>BPF_F_RDONLY: the fd only reads (for syscalls).</summary>
    ReadOnly = 1U << 3,
    /// <summary>BPF_F_WRONLY: the fd only writes (for syscalls).</summary>
    WriteOnly = 1U << 4,
    /// <summary>BPF_F_STACK_BUILD_ID: a stack map stores build ids and offsets.</summary>
    StackBuildId = 1U << 5,
    /// <summary>BPF_F_ZERO_SEED: a fixed hash seed (tests only).</summary>
    ZeroSeed = 1U << 6,
    /// <summary>BPF_F_RDONLY_PROG: programs only read the map (constants, .rodata).</summary>
    ReadOnlyProgram = 1U << 7,
    /// <summary>BPF_F_WRONLY_PROG: programs only write the map.</summary>
    WriteOnlyProgram = 1U << 8,
    /// <summary>BPF_F_CLONE: storage maps copy an entry to a cloned socket.</summary>
    Clone = 1U << 9,
    /// <summary>BPF_F_MMAPABLE: the array can be mmap'd.</summary>
    Mmapable = 1U << 10,
}
