namespace TcpStates.Tests.EndToEnd;

/// <summary>
/// A test that loads BPF programs and makes real traffic: it needs root. It skips, saying why, only
/// when not root and not under CI; under CI=true it always runs (and fails if it cannot).
/// </summary>
public sealed class KernelFactAttribute : FactAttribute
{
    public KernelFactAttribute()
    {
        if (!Host.IsRoot && !Host.IsCi)
            Skip = "needs root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN): run the tests as root";
    }
}

internal static partial class Host
{
    public static bool IsRoot => Geteuid() == 0;

    public static bool IsCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint Geteuid();

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    public static partial int Setns(int fd, int nstype);

    public const int SIGINT = 2, SIGTERM = 15;
    public const int CLONE_NEWNET = 0x40000000;
}
