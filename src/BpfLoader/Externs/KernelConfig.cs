using System.IO.Compression;
using System.Text;

namespace BpfLoader.Externs;

/// <summary>
/// A kernel's build configuration (<c>CONFIG_X=value</c> lines) and release, which <c>__kconfig</c>
/// externs read: the running kernel's from /proc/config.gz or /boot/config-$(uname -r), as libbpf does.
/// </summary>
public sealed class KernelConfig
{
    /// <summary>Where the running kernel's configuration is looked for, in order.</summary>
    public static IReadOnlyList<string> ConfigPaths { get; } = ["/proc/config.gz", "/boot/config-" + RunningRelease()];

    /// <summary>The CONFIG_ values by name, as written in the file (<c>y</c>, <c>m</c>, <c>250</c>, <c>"text"</c> with its quotes). Options that are not set are absent.</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>LINUX_KERNEL_VERSION: KERNEL_VERSION(major, minor, patch) of the release, the patch capped at 255 as the kernel does.</summary>
    public uint KernelVersion { get; }

    /// <summary>A configuration from its text and a release string such as <c>6.18.44-generic</c>.</summary>
    public KernelConfig(IReadOnlyDictionary<string, string> values, string release)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(release);
        Values = values;
        KernelVersion = ParseRelease(release);
    }

    /// <summary>Parses <c>.config</c> text: <c>CONFIG_X=value</c> lines; comments (<c># CONFIG_X is not set</c>) and blank lines skipped.</summary>
    public static KernelConfig Parse(string text, string release)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !line.StartsWith("CONFIG_", StringComparison.Ordinal)) continue;
            values[line[..eq]] = line[(eq + 1)..];
        }
        return new KernelConfig(values, release);
    }

    /// <summary>The running kernel's configuration, or a <see cref="BpfException"/> naming the files tried.</summary>
    public static KernelConfig LoadRunning()
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
                return Parse(reader.ReadToEnd(), release);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                throw new BpfException($"reading the kernel configuration {path}: {e.Message}", e);
            }
        }
        throw new BpfException($"the object has __kconfig externs, but the kernel configuration is in none of {string.Join(", ", ConfigPaths)}");
    }

    /// <summary>KERNEL_VERSION(a, b, c) of a release such as <c>6.18.44-fc-v1045</c>.</summary>
    public static uint ParseRelease(string release)
    {
        ArgumentNullException.ThrowIfNull(release);
        Span<uint> parts = stackalloc uint[3];
        int part = 0;
        foreach (char c in release)
        {
            if (c is >= '0' and <= '9')
            {
                parts[part] = Math.Min(parts[part] * 10 + (uint)(c - '0'), 1_000_000);
            }
            else if (c == '.' && part < 2)
            {
                part++;
            }
            else
            {
                break;
            }
        }
        return (Math.Min(parts[0], 255) << 16) | (Math.Min(parts[1], 255) << 8) | Math.Min(parts[2], 255);
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
