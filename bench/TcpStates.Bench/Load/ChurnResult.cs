using System.Globalization;
using TcpStates.Bench.Measurement;

namespace TcpStates.Bench.Load;

/// <summary>What one churn run did, as printed by the <c>load</c> subcommand on its last line.</summary>
internal sealed record ChurnResult(int Port, int Connections, int Failures, long ElapsedNs, string? FirstError)
{
    /// <summary>The load's own CPU (user+sys, all threads) over its window; absent from loads that do not say (the C reference).</summary>
    public long? CpuNs { get; init; }

    /// <summary>What the host's counters did over the load's window (first connect to last close).</summary>
    public MachineCounters? Machine { get; init; }

    private const string Prefix = "result ";

    public double ConnectionsPerSecond => ElapsedNs > 0 ? Connections * 1e9 / ElapsedNs : 0;

    public string Format() => string.Create(CultureInfo.InvariantCulture,
        $"{Prefix}port={Port} connections={Connections} failures={Failures} elapsed_ns={ElapsedNs} first_error={FirstError ?? "-"}")
        + (CpuNs is long cpu ? string.Create(CultureInfo.InvariantCulture, $" cpu_ns={cpu}") : "")
        + (Machine is { } m ? string.Create(CultureInfo.InvariantCulture, $" busy_ticks={m.BusyTicks} steal_ticks={m.StealTicks} total_ticks={m.TotalTicks} retrans={m.RetransSegs} listen_overflows={m.ListenOverflows} listen_drops={m.ListenDrops}") : "");

    public static ChurnResult? Parse(string line)
    {
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
            return null;
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in line[Prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
                fields[pair[..eq]] = pair[(eq + 1)..];
        }
        string error = fields.GetValueOrDefault("first_error", "-");
        return new ChurnResult(
            int.Parse(fields["port"], CultureInfo.InvariantCulture),
            int.Parse(fields["connections"], CultureInfo.InvariantCulture),
            int.Parse(fields["failures"], CultureInfo.InvariantCulture),
            long.Parse(fields["elapsed_ns"], CultureInfo.InvariantCulture),
            error == "-" ? null : error)
        {
            CpuNs = Long("cpu_ns"),
            Machine = Long("busy_ticks") is long busy
                ? new MachineCounters(busy, Long("steal_ticks") ?? 0, Long("total_ticks") ?? 0, Long("retrans") ?? 0, Long("listen_overflows") ?? 0, Long("listen_drops") ?? 0)
                : null,
        };

        long? Long(string key) => fields.TryGetValue(key, out string? v) ? long.Parse(v, CultureInfo.InvariantCulture) : null;
    }
}
