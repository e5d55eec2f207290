namespace BpfLoader.Programs;

/// <summary>
/// A program's run counters from BPF_OBJ_GET_INFO_BY_FD, read without allocating (for polling).
/// <see cref="RunTimeNs"/> and <see cref="RunCount"/> only count while statistics are on;
/// <see cref="RecursionMisses"/> always: the runs the kernel skipped because the program was already
/// running on that CPU.
/// </summary>
public readonly record struct ProgramRunStatistics(ulong RunTimeNs, ulong RunCount, ulong RecursionMisses);
