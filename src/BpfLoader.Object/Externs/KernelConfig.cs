namespace BpfLoader.Object.Externs;

/// <summary>
/// A kernel's build configuration (<c>CONFIG_X=value</c> lines) and release, which <c>__kconfig</c>
/// externs read, parsed from text; the kernel assembly's <c>RunningKernelConfig</c> finds the running kernel's
/// (/proc/config.gz or /boot/config-$(uname -r), as libbpf does).
/// </summary>
public sealed class KernelConfig
{
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
}
