using System.Globalization;

namespace BpfLoader.Kernel;

/// <summary>The kernel's cpulist format ("0-3,5,7-8"), as in /sys/devices/system/cpu/possible.</summary>
public static class CpuList
{
    public const string PossiblePath = "/sys/devices/system/cpu/possible";
    public const string OnlinePath = "/sys/devices/system/cpu/online";

    /// <summary>The CPU numbers in the list, in order.</summary>
    public static IReadOnlyList<int> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cpus = new List<int>();
        foreach (string part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int dash = part.IndexOf('-', StringComparison.Ordinal);
            int first = ParseNumber(dash < 0 ? part : part[..dash], text);
            int last = dash < 0 ? first : ParseNumber(part[(dash + 1)..], text);
            if (last < first)
                throw new FormatException($"bad CPU range '{part}' in '{text}'");
            for (int cpu = first; cpu <= last; cpu++)
                cpus.Add(cpu);
        }
        if (cpus.Count == 0)
            throw new FormatException($"empty CPU list '{text}'");
        return cpus;
    }

    /// <summary>Reads and parses a cpulist file such as <see cref="PossiblePath"/>.</summary>
    public static IReadOnlyList<int> Read(string path) => Parse(File.ReadAllText(path));

    private static int ParseNumber(string s, string whole)
        => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 0
            ? n
            : throw new FormatException($"bad CPU number '{s}' in '{whole}'");
}
