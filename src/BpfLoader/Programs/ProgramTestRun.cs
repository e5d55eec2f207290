namespace BpfLoader.Programs;

/// <summary>
/// What one <see cref="BpfProgram.TestRun"/> gave back. The lengths are the kernel's: when one exceeds
/// the buffer given, the buffer holds its first bytes and <see cref="Truncated"/> is true.
/// </summary>
/// <param name="ReturnValue">The program's return value (of its last run, when repeated).</param>
/// <param name="DurationNanoseconds">Mean run time per repetition, as the kernel measured it (0 for program types it does not time).</param>
/// <param name="DataOutLength">Bytes of packet data the program left (for packet programs: after any head or tail adjustment).</param>
/// <param name="ContextOutLength">Bytes of context the kernel copied back (0 when it copies none).</param>
/// <param name="Truncated">The data or context out did not fit the buffer given (the kernel's ENOSPC).</param>
public readonly record struct ProgramTestRun(uint ReturnValue, uint DurationNanoseconds, int DataOutLength, int ContextOutLength, bool Truncated);
