using System.Globalization;

namespace TcpStates.Bench.Measurement;

/// <summary>
/// Host-wide counters that tell whether a run had the machine to itself: CPU time by kind
/// (/proc/stat, all CPUs), TCP retransmitted segments (/proc/net/snmp) and listen-queue overflows and
/// drops (/proc/net/netstat). A difference of two snapshots is what happened in between.
/// </summary>
internal sealed record MachineCounters(long BusyTicks, long StealTicks, long TotalTicks, long RetransSegs, long ListenOverflows, long ListenDrops)
{
    /// <summary>USER_HZ: /proc/stat counts in 1/100 s on every Linux architecture the tool ships for.</summary>
    public const long NanosecondsPerTick = 10_000_000;

    public static MachineCounters Read()
    {
        var (busy, steal, total) = ParseCpuLine(ReadOrEmpty("/proc/stat"));
        return new MachineCounters(
            busy, steal, total,
            ParseProtocolCounter(ReadOrEmpty("/proc/net/snmp"), "Tcp:", "RetransSegs"),
            ParseProtocolCounter(ReadOrEmpty("/proc/net/netstat"), "TcpExt:", "ListenOverflows"),
            ParseProtocolCounter(ReadOrEmpty("/proc/net/netstat"), "TcpExt:", "ListenDrops"));
    }

    public static MachineCounters operator -(MachineCounters a, MachineCounters b) => new(
        a.BusyTicks - b.BusyTicks, a.StealTicks - b.StealTicks, a.TotalTicks - b.TotalTicks,
        a.RetransSegs - b.RetransSegs, a.ListenOverflows - b.ListenOverflows, a.ListenDrops - b.ListenDrops);

    /// <summary>
    /// The aggregate "cpu" line: busy = user + nice + system + irq + softirq (a task's own CPU time
    /// includes the softirqs it runs); steal apart; total adds idle and iowait.
    /// </summary>
    internal static (long Busy, long Steal, long Total) ParseCpuLine(string procStat)
    {
        foreach (string line in procStat.Split('\n'))
        {
            if (!line.StartsWith("cpu ", StringComparison.Ordinal))
                continue;
            long[] f = line[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            long Field(int i) => i < f.Length ? f[i] : 0;
            long busy = Field(0) + Field(1) + Field(2) + Field(5) + Field(6);
            long steal = Field(7);
            return (busy, steal, busy + steal + Field(3) + Field(4));
        }
        return (0, 0, 0);
    }

    /// <summary>
    /// A counter of the snmp/netstat format: a header line "Tcp: Name1 Name2 …" followed by a value
    /// line "Tcp: 1 2 …". 0 when absent.
    /// </summary>
    internal static long ParseProtocolCounter(string text, string prefix, string name)
    {
        string[] lines = text.Split('\n');
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            if (!lines[i].StartsWith(prefix, StringComparison.Ordinal) || !lines[i + 1].StartsWith(prefix, StringComparison.Ordinal))
                continue;
            string[] names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string[] values = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int at = Array.IndexOf(names, name);
            if (at > 0 && at < values.Length)
                return long.Parse(values[at], CultureInfo.InvariantCulture);
            i++;
        }
        return 0;
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }
}
