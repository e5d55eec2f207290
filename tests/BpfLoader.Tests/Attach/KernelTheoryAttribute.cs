using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Attach;

/// <summary>A theory that loads real BPF objects: skipped for a non-root developer, as <see cref="KernelFactAttribute"/>; never under CI=true.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class KernelTheoryAttribute : TheoryAttribute
{
    public KernelTheoryAttribute()
    {
        if (!KernelFactAttribute.IsRoot && !KernelFactAttribute.IsCi)
            Skip = "needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN) to load BPF programs; run as root, or with CI=true to make this a failure";
    }
}
