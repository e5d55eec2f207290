using System.Globalization;
using TcpStates.Bench.Report;
using TcpStates.Bench.Tracers;

namespace TcpStates.Bench.Steadiness;

/// <summary>
/// Decides which traced runs count toward the speed figure. A speed is a pair: a traced run ÷ the untraced run of its
/// round and sink. The pair counts when neither run was disturbed (steal, other processes' CPU; for the untraced run
/// also retransmits and listen overflows) and the untraced pace is within the margin of the median of the undisturbed
/// untraced runs. A ratio taken while the machine crawls says little about the tracer; one taken while another
/// tracer's run in the same round was disturbed says as much as any other, so pairs are judged, not whole rounds.
/// </summary>
internal static class SteadinessJudge
{
    public static SteadinessVerdict Judge(IReadOnlyList<RunSample> runs, SteadinessLimits limits)
    {
        var leftOut = new List<string>();
        string Where(RunSample r) => $"round {r.Round} {r.Sink.ToString().ToLowerInvariant()} {r.Tracer}";

        var untraced = runs.Where(r => r.Tracer == TracerSpec.NoneName).ToList();
        double? median = ResultTable.Median(untraced.Where(r => r.PerSecond > 0 && r.Reasons.Count == 0).Select(r => r.PerSecond));
        var baselines = new HashSet<(int, OutputSink)>();
        foreach (RunSample r in untraced)
        {
            if (r.PerSecond is not > 0)
            {
                leftOut.Add($"{Where(r)}: no pace");
            }
            else if (r.Reasons.Count > 0)
            {
                leftOut.Add($"{Where(r)}: {string.Join("; ", r.Reasons.Distinct())}");
            }
            else
            {
                double deviation = r.PerSecond.Value / median!.Value - 1;
                if (Math.Abs(deviation) <= limits.Margin)
                    baselines.Add((r.Round, r.Sink));
                else
                    leftOut.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{Where(r)}: {r.PerSecond:0}/s is {deviation:+0%;-0%} off the median {median:0}/s (margin {limits.Margin:0%})"));
            }
        }

        var counted = new HashSet<(int, string, OutputSink)>();
        var perColumn = new Dictionary<(string, OutputSink), int>();
        foreach (RunSample r in runs.Where(r => r.Tracer != TracerSpec.NoneName))
        {
            perColumn.TryAdd((r.Tracer, r.Sink), 0);
            if (r.Reasons.Count > 0)
            {
                leftOut.Add($"{Where(r)}: {string.Join("; ", r.Reasons.Distinct())}");
                continue;
            }
            if (r.PerSecond is not > 0 || !baselines.Contains((r.Round, r.Sink)))
                continue;   // its untraced run is named above
            counted.Add((r.Round, r.Tracer, r.Sink));
            perColumn[(r.Tracer, r.Sink)]++;
        }

        var paces = untraced.Select(r => r.PerSecond).OfType<double>().Where(v => v > 0).ToList();
        double? spread = paces.Count > 0 ? paces.Max() / paces.Min() - 1 : null;
        bool enough = perColumn.Values.All(n => n >= limits.MinSteadyRounds);   // with no traced runs, no figure is owed
        return new SteadinessVerdict(counted, perColumn, leftOut, spread, enough);
    }
}
