using System.Globalization;
using BpfLoader.Interop;

namespace BpfLoader.Kernel;

/// <summary>
/// The clock BPF programs read with <c>bpf_ktime_get_ns()</c>: the host's CLOCK_MONOTONIC. A process in a time
/// namespace reads its own CLOCK_MONOTONIC shifted by the namespace's offset, which is taken off here.
/// </summary>
public static unsafe class BpfClock
{
    private const string OffsetsPath = "/proc/self/timens_offsets";
    private static readonly long s_namespaceOffsetNs = ReadNamespaceOffset(OffsetsPath);

    /// <summary>Now, in nanoseconds, as <c>bpf_ktime_get_ns()</c> would read it.</summary>
    public static ulong NowNs()
    {
        long* timespec = stackalloc long[2];
        _ = Libc.ClockGetTime(Libc.ClockMonotonic, timespec);
        return (ulong)(timespec[0] * 1_000_000_000L + timespec[1] - s_namespaceOffsetNs);
    }

    /// <summary>The monotonic offset of this process's time namespace, in nanoseconds; 0 outside one, or where the kernel has none.</summary>
    internal static long ReadNamespaceOffset(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
        return ParseNamespaceOffset(text);
    }

    /// <summary>The "monotonic SECONDS NANOSECONDS" line of timens_offsets(5), in nanoseconds (0 without one).</summary>
    internal static long ParseNamespaceOffset(string text)
    {
        foreach (string line in text.Split('\n'))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 3 && fields[0] == "monotonic"
                && long.TryParse(fields[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long seconds)
                && long.TryParse(fields[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long nanoseconds))
                return seconds * 1_000_000_000L + nanoseconds;
        }
        return 0;
    }
}
