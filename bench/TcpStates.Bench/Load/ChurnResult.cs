using System.Globalization;

namespace TcpStates.Bench.Load;

/// <summary>What one churn run did, as printed by the <c>load</c> subcommand on its last line.</summary>
internal sealed record ChurnResult(int Port, int Connections, int Failures, long ElapsedNs, string? FirstError)
{
    private const string Prefix = "result ";

    public double ConnectionsPerSecond => ElapsedNs > 0 ? Connections * 1e9 / ElapsedNs : 0;

    public string Format() => string.Create(CultureInfo.InvariantCulture,
        $"{Prefix}port={Port} connections={Connections} failures={Failures} elapsed_ns={ElapsedNs} first_error={FirstError ?? "-"}");

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
            error == "-" ? null : error);
    }
}
