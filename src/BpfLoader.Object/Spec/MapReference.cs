namespace BpfLoader.Object.Spec;

/// <summary>A ld_imm64 that needs a map's fd: at <see cref="Instruction"/> (slot index in the linked program).</summary>
/// <remarks>For <see cref="MapReferenceKind.Value"/>, the second slot already holds <see cref="Offset"/>.</remarks>
public readonly record struct MapReference(int Instruction, string MapName, MapReferenceKind Kind, uint Offset);

/// <summary>How an instruction refers to a map.</summary>
public enum MapReferenceKind
{
    /// <summary>BPF_PSEUDO_MAP_FD: the map itself (src_reg 1, imm = fd).</summary>
    Fd = 1,
    /// <summary>BPF_PSEUDO_MAP_VALUE: an address inside entry 0 (src_reg 2, imm = fd, next imm = offset).</summary>
    Value = 2,
}
