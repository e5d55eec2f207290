namespace BpfLoader.Object.Btf;

/// <summary>
/// A CO-RE relocation whose target the kernel lacks, so its instruction was replaced by a call to the
/// invalid helper <see cref="CoreRelocator.PoisonHelperId"/>: harmless if the verifier finds it unreachable.
/// </summary>
/// <param name="Index">The relocation's position among the program's CO-RE relocations.</param>
/// <param name="Instruction">The poisoned instruction's slot in the linked program.</param>
/// <param name="Kind">What the relocation asked for.</param>
/// <param name="Access">The access, as <c>struct name::field</c>.</param>
public readonly record struct PoisonedRelocation(int Index, int Instruction, CoreRelocationKind Kind, string Access)
{
    /// <summary>"CO-RE relocation #N (Kind of access) at instruction K".</summary>
    public override string ToString() => $"CO-RE relocation #{Index} ({Kind} of {Access}) at instruction {Instruction}";
}
