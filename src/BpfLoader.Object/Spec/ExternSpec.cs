namespace BpfLoader.Object.Spec;

/// <summary>
/// An extern declared by the object (<c>__kconfig</c> or <c>__ksym</c>), found in its BTF's
/// <c>.kconfig</c> or <c>.ksyms</c> DATASEC; resolved against the running kernel at load.
/// </summary>
/// <param name="Name">The symbol's name (<c>CONFIG_BPF_SYSCALL</c>, <c>bpf_task_release</c>, ...).</param>
/// <param name="Kind">How it is resolved.</param>
/// <param name="IsWeak">Declared <c>__weak</c>: missing in the kernel, it is 0 (a kfunc call is left to the verifier to drop).</param>
/// <param name="BtfTypeId">The VAR's or FUNC's id in the object's BTF.</param>
/// <param name="Offset">For <see cref="ExternKind.Kconfig"/>: where the value lies in the .kconfig map's value.</param>
/// <param name="Size">For <see cref="ExternKind.Kconfig"/>: the value's size in bytes.</param>
public sealed record ExternSpec(string Name, ExternKind Kind, bool IsWeak, int BtfTypeId, int Offset, int Size)
{
    /// <summary>The section name of the map libbpf (and this loader) keeps <c>__kconfig</c> values in.</summary>
    public const string KconfigMapName = ".kconfig";

    /// <summary>For <see cref="ExternKind.Ksym"/>: declared <c>void</c>, so its address comes from /proc/kallsyms rather than BTF.</summary>
    public bool IsUntyped { get; init; }
}
