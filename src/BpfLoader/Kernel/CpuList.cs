using System.Globalization;
using BpfLoader.Object;

namespace BpfLoader.Kernel;

/// <summary>
/// A set of CPU numbers as the kernel prints them in /sys/devices/system/cpu ("0-3,5,7-8").
/// The perf event array needs one ring per CPU that is both possible and online.
/// </summary>
public sealed class CpuList
{
    private const string SysCpuDir = "/sys/devices/system/cpu/";

    /// <summary>The CPU numbers, ascending, without duplicates.</summary>
    public IReadOnlyList<int> Cpus { get; }

    private CpuList(int[] cpus) => Cpus = cpus;

    /// <summary>Parses the kernel's list format; an empty or blank text is an empty list.</summary>
    public static CpuList Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cpus = new SortedSet<int>();
        foreach (string part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int dash = part.IndexOf('-', StringComparison.Ordinal);
            int first = ParseCpu(dash < 0 ? part : part[..dash], text);
            int last = dash < 0 ? first : ParseCpu(part[(dash + 1)..], text);
            if (last < first)
                throw new BpfException($"CPU list '{text}': range {part} runs backwards");
            for (int cpu = first; cpu <= last; cpu++)
                cpus.Add(cpu);
        }
        return new CpuList([.. cpus]);
    }

    /// <summary>The CPUs in both lists.</summary>
    public CpuList Intersect(CpuList other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new CpuList([.. Cpus.Intersect(other.Cpus)]);
    }

    /// <summary>/sys/devices/system/cpu/possible: per-CPU maps and perf event arrays have a slot for each.</summary>
    public static CpuList Possible() => Read("possible");

    /// <summary>/sys/devices/system/cpu/possible ∩ /sys/devices/system/cpu/online.</summary>
    public static CpuList OnlinePossible() => Read("possible").Intersect(Read("online"));

    private static CpuList Read(string name)
    {
        string path = SysCpuDir + name;
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (IOException e)
        {
            throw new BpfException($"reading {path}: {e.Message}", e);
        }
    }

    private static int ParseCpu(string s, string text) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int cpu)
            ? cpu
            : throw new BpfException($"CPU list '{text}': '{s}' is not a CPU number");

    /// <summary>The CPU numbers, comma-separated.</summary>
    public override string ToString() => string.Join(',', Cpus);
}
