using System.IO.Compression;
using System.Text;
using BpfLoader.Object;
using BpfLoader.Object.Externs;

namespace BpfLoader.Kernel;

/// <summary>The running kernel's build configuration, for <c>__kconfig</c> externs: found where libbpf looks.</summary>
public static class RunningKernelConfig
{
    /// <summary>Where the running kernel's configuration is looked for, in order.</summary>
    public static IReadOnlyList<string> ConfigPaths { get; } = ["/proc/config.gz", "/boot/config-" + RunningRelease()];

    /// <summary>The running kernel's configuration, or a <see cref="BpfException"/> naming the files tried.</summary>
    public static KernelConfig Load()
    {
        string release = RunningRelease();
        foreach (string path in ConfigPaths)
        {
            if (!File.Exists(path)) continue;
            try
            {
                using Stream file = File.OpenRead(path);
                using Stream text = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
                using var reader = new StreamReader(text, Encoding.UTF8);
                return KernelConfig.Parse(reader.ReadToEnd(), release);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                throw new BpfException($"reading the kernel configuration {path}: {e.Message}", e);
            }
        }
        throw new BpfException($"the object has __kconfig externs, but the kernel configuration is in none of {string.Join(", ", ConfigPaths)}");
    }

    private static string RunningRelease()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
