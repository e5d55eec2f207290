using System.Runtime.InteropServices;

namespace BpfLoader.Tests.Kernel;

/// <summary>
/// A test that loads real BPF objects: it needs root. Skipped with a reason for a non-root developer,
/// but under CI=true it always runs (and fails loudly if the runner lacks privileges).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed partial class KernelFactAttribute : FactAttribute
{
    public KernelFactAttribute()
    {
        if (!IsRoot && !IsCi)
            Skip = "needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN) to load BPF programs; run as root, or with CI=true to make this a failure";
    }

    public static bool IsRoot => GetEuid() == 0;

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
