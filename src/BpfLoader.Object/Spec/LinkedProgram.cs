namespace BpfLoader.Object.Spec;

/// <summary>
/// What BPF_PROG_LOAD needs from a program: final instructions (CO-RE applied, map fds patched)
/// and func_info / line_info as the kernel's records (instruction indexes), with their record sizes.
/// </summary>
public sealed record LinkedProgram(
    byte[] Instructions,
    byte[] FuncInfo, int FuncInfoRecordSize, int FuncInfoCount,
    byte[] LineInfo, int LineInfoRecordSize, int LineInfoCount)
{
    /// <summary>CO-RE relocations poisoned because the kernel lacks their target (see <see cref="Btf.CoreRelocator.PoisonMissingTypes"/>).</summary>
    public IReadOnlyList<Btf.PoisonedRelocation> PoisonedRelocations { get; init; } = [];

    /// <summary>How many instruction slots the program has.</summary>
    public int InstructionCount => Instructions.Length / Asm.Instruction.Size;
}
