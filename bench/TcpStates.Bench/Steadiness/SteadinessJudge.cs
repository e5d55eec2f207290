using System.Globalization;
using TcpStates.Bench.Report;

namespace TcpStates.Bench.Steadiness;

/// <summary>
/// Decides which rounds of a sitting were steady: none of their runs disturbed (steal, other
/// processes' CPU, retransmits, listen overflows), and their untraced pace within the margin of the
/// median of the undisturbed rounds. A ratio taken while the machine crawls says little about the
/// tracer, so the speed figure is computed from these rounds only.
/// </summary>
internal static class SteadinessJudge
{
    public static SteadinessVerdict Judge(IReadOnlyList<RoundSample> rounds, SteadinessLimits limits)
    {
        var unsteady = new Dictionary<int, string>();
        var candidates = new List<RoundSample>();
        foreach (RoundSample r in rounds)
        {
            if (r.UntracedPerSecond is not > 0)
                unsteady[r.Round] = "no untraced run";
            else if (r.RunReasons.Count > 0)
                unsteady[r.Round] = string.Join("; ", r.RunReasons.Distinct());
            else
                candidates.Add(r);
        }

        double? median = ResultTable.Median(candidates.Select(r => r.UntracedPerSecond));
        var steady = new HashSet<int>();
        foreach (RoundSample r in candidates)
        {
            double deviation = r.UntracedPerSecond!.Value / median!.Value - 1;
            if (Math.Abs(deviation) <= limits.Margin)
                steady.Add(r.Round);
            else
                unsteady[r.Round] = string.Create(CultureInfo.InvariantCulture,
                    $"untraced {r.UntracedPerSecond:0}/s is {deviation:+0%;-0%} off the median {median:0}/s (margin {limits.Margin:0%})");
        }

        var paces = rounds.Select(r => r.UntracedPerSecond).OfType<double>().Where(v => v > 0).ToList();
        double? spread = paces.Count > 0 ? paces.Max() / paces.Min() - 1 : null;
        return new SteadinessVerdict(steady, unsteady, spread, steady.Count >= limits.MinSteadyRounds);
    }
}
