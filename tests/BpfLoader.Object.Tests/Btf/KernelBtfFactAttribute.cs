using BpfLoader.Object.Tests.Spec;

namespace BpfLoader.Object.Tests.Btf;

/// <summary>
/// A test that reads /sys/kernel/btf/vmlinux (and, with <see cref="NeedsBpftool"/>, runs bpftool to
/// cross-check). Skipped with a reason when either is missing on a developer machine; under CI=true it always runs.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class KernelBtfFactAttribute : FactAttribute
{
    public KernelBtfFactAttribute(bool NeedsBpftool = false)
    {
        if (TestObjects.InCi) return;
        if (!KernelBtfReadable)
            Skip = $"{Vmlinux.Path} is not readable (a kernel without CONFIG_DEBUG_INFO_BTF, or not root)";
        else if (NeedsBpftool && !BpftoolInstalled)
            Skip = "bpftool is not installed (apt-get install bpftool); CI installs it";
    }

    public static bool KernelBtfReadable
    {
        get
        {
            try
            {
                using FileStream f = File.OpenRead(Vmlinux.Path);
                return f.ReadByte() >= 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }

    public static bool BpftoolInstalled =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "bpftool")))
        || File.Exists("/usr/sbin/bpftool");
}
