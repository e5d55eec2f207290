namespace BpfLoader.Object.Spec;

/// <summary>What an extern of the object stands for, and so how the loader resolves it.</summary>
public enum ExternKind
{
    /// <summary>A <c>__kconfig</c> variable: a CONFIG_ value (or LINUX_KERNEL_VERSION) in the .kconfig map.</summary>
    Kconfig,
    /// <summary>A <c>__ksym</c> variable: typed (BPF_PSEUDO_BTF_ID with the kernel VAR's BTF id) or untyped (<c>void</c>, an address from /proc/kallsyms).</summary>
    Ksym,
    /// <summary>A <c>__ksym</c> function: a kfunc, called with BPF_PSEUDO_KFUNC_CALL and its kernel BTF id.</summary>
    Kfunc,
}
