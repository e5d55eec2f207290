namespace BpfLoader.Maps;

/// <summary>flags of BPF_MAP_UPDATE_ELEM.</summary>
public enum MapUpdateFlags : ulong
{
    /// <summary>BPF_ANY: create or replace.</summary>
    Any = 0,
    /// <summary>BPF_NOEXIST: create only (EEXIST if present).</summary>
    NoExist = 1,
    /// <summary>BPF_EXIST: replace only (ENOENT if absent).</summary>
    Exist = 2,
    /// <summary>BPF_F_LOCK: update under the value's bpf_spin_lock.</summary>
    Lock = 4,
}
