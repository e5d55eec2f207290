using BpfLoader.Object.Uapi;

namespace BpfLoader.Programs;

/// <summary>
/// What BPF_OBJ_GET_INFO_BY_FD says about a loaded program. <see cref="RunTimeNs"/> and
/// <see cref="RunCount"/> only count while statistics are on (<see cref="BpfStats.Enable"/>, or the
/// kernel.bpf_stats_enabled sysctl).
/// </summary>
public readonly record struct ProgramInfo(
    uint Id,
    BpfProgramType Type,
    string Name,
    ulong Tag,
    ulong RunTimeNs,
    ulong RunCount,
    ulong RecursionMisses,
    uint VerifiedInstructions,
    uint BtfId,
    uint AttachBtfId);
