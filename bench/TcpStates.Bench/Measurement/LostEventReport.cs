using System.Globalization;
using System.Text.RegularExpressions;

namespace TcpStates.Bench.Measurement;

/// <summary>
/// Sums the events a tracer says it lost on stderr. Accepted: libbpf-tools'
/// "lost 12 events on CPU #1", bcc's "Possibly lost 12 samples", and any "lost N event(s)/sample(s)/record(s)".
/// </summary>
internal static partial class LostEventReport
{
    [GeneratedRegex(@"\blost\s+(\d+)\s+(?:events?|samples?|records?)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LostPattern();

    public const string PatternText = @"\blost\s+(\d+)\s+(?:events?|samples?|records?)\b (case-insensitive)";

    public static long Sum(string stderr)
    {
        long total = 0;
        foreach (Match m in LostPattern().Matches(stderr))
            total += long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return total;
    }
}
