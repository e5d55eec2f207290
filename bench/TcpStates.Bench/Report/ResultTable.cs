using System.Globalization;
using TcpStates.Bench.Harness;
using TcpStates.Bench.Tracers;

namespace TcpStates.Bench.Report;

/// <summary>
/// The result: one row per metric and sink, a column per tracer (medians over the rounds), and
/// ours ÷ anchor per row.
/// </summary>
internal static class ResultTable
{
    private sealed record Row(string Metric, Func<RunMeasurement, double?> Value, string Format, bool TracedOnly = true, OutputSink[]? OnlySinks = null, bool VersusLimit = false);

    public static void Print(TextWriter output, IReadOnlyList<RunMeasurement> runs, IReadOnlyList<string> tracers, IReadOnlyList<OutputSink> sinks, double eventsPerConnection, IReadOnlySet<(int Round, string Tracer, OutputSink Sink)> steadyPairs)
    {
        var ok = runs.Where(r => r.Succeeded).ToList();
        // The speed figure comes from steady pairs only (see SteadinessJudge); from all when none was.
        bool Counted(RunMeasurement r) => steadyPairs.Count == 0 || steadyPairs.Contains((r.Round, r.Tracer, r.Sink));
        // Speed is paired: a traced run against the untraced run of the same round and sink, right after
        // it, so a machine that changes pace between rounds (a shared one does, by 2-3x here) cancels out.
        var untracedRuns = ok.Where(r => r.Tracer == TracerSpec.NoneName && r.Churn is not null).ToList();
        double? untracedAll = Median(untracedRuns.Select(r => r.Churn?.ConnectionsPerSecond));
        double? Untraced(RunMeasurement r) =>
            untracedRuns.FirstOrDefault(n => n.Round == r.Round && n.Sink == r.Sink)?.Churn?.ConnectionsPerSecond
            ?? Median(untracedRuns.Where(n => n.Round == r.Round).Select(n => n.Churn?.ConnectionsPerSecond))
            ?? untracedAll;
        OutputSink[] loadSinks = [.. sinks.Where(s => s != OutputSink.Terminal)];

        // Per-event costs are divided by the events the programs were called for (all TCP state
        // changes on the host in the window), or by the workload's when stats are missing.
        double? Events(RunMeasurement r) => r.Bpf is { Events: > 0 } b ? b.Events : r.CausedEvents(eventsPerConnection);

        Row[] rows =
        [
            new("connections/s", r => r.Churn?.ConnectionsPerSecond, "0", TracedOnly: false),
            new(steadyPairs.Count > 0 ? "speed traced/untraced, steady" : "speed traced/untraced, ALL (none steady)", r => Counted(r) && Untraced(r) is > 0 and double u ? r.Churn?.ConnectionsPerSecond / u : null, "0.00", VersusLimit: true),
            new("BPF ns/event", r => r.Bpf is { Events: > 0 } b ? b.RunTimeNs / (double)b.Events : null, "0", VersusLimit: true),
            new("tracer CPU µs/event", r => r.TracerCpuNs / 1000.0 / Events(r), "0.00", VersusLimit: true),
            new("events caused", r => r.CausedEvents(eventsPerConnection), "0"),
            new("events printed", r => r.WorkloadLines, "0", OnlySinks: [OutputSink.File, OutputSink.Cached, OutputSink.Pipe]),
            new("events missing", r => r.WorkloadLines is long l ? r.CausedEvents(eventsPerConnection) - l : null, "0", OnlySinks: [OutputSink.File, OutputSink.Cached, OutputSink.Pipe]),
            new("rows out of chain", r => r.WorkloadOutOfChain, "0", OnlySinks: [OutputSink.File, OutputSink.Cached, OutputSink.Pipe]),
            new("events reported lost", r => r.Lost, "0"),
            new("BPF recursion misses", r => r.Bpf?.RecursionMisses, "0"),
            new("time to attached ms", r => r.AttachMs, "0.0"),
            new("time to header ms", r => r.ReadyMs, "0.0", OnlySinks: [OutputSink.Terminal]),
            new("peak RSS MB", r => r.PeakRssKiB / 1024.0, "0.0"),
        ];

        var columns = tracers.ToList();
        bool ratio = columns.Contains(TracerSpec.OursName) && columns.Contains(TracerSpec.AnchorName);
        bool toLimit = columns.Contains(TracerSpec.OursName) && columns.Contains(TracerSpec.LimitName);
        var header = new List<string> { "metric [sink]" };
        header.AddRange(columns);
        if (ratio)
            header.Add("ours/anchor");
        if (toLimit)
            header.Add("ours/limit");
        var table = new List<List<string>> { header };

        foreach (OutputSink sink in sinks)
        {
            foreach (Row row in rows)
            {
                if (!(row.OnlySinks ?? loadSinks).Contains(sink))
                    continue;
                var cells = new List<string> { $"{row.Metric} [{sink.ToString().ToLowerInvariant()}]" };
                var medians = new Dictionary<string, double?>(StringComparer.Ordinal);
                foreach (string tracer in columns)
                {
                    bool none = tracer is TracerSpec.NoneName or TracerSpec.ReferenceName;
                    if (none && row.TracedOnly)
                    {
                        cells.Add("");
                        continue;
                    }
                    var values = ok.Where(r => r.Tracer == tracer && (none || r.Sink == sink)).Select(row.Value).ToList();
                    double? median = Median(values);
                    medians[tracer] = median;
                    cells.Add(median is double m ? Cell(m, row.Format, values) : "n/a");
                }
                if (ratio)
                {
                    double? ours = medians.GetValueOrDefault(TracerSpec.OursName), anchor = medians.GetValueOrDefault(TracerSpec.AnchorName);
                    cells.Add(ours is double o && anchor is double a && a != 0 ? (o / a).ToString("0.00", CultureInfo.InvariantCulture) : "");
                }
                if (toLimit)
                {
                    double? ours = medians.GetValueOrDefault(TracerSpec.OursName), limit = medians.GetValueOrDefault(TracerSpec.LimitName);
                    // Only the costs: the limit prints nothing and is a .NET process, so its output, RSS and start-up are no floor.
                    cells.Add(row.VersusLimit && ours is double o && limit is double l && l != 0 ? (o / l).ToString("0.00", CultureInfo.InvariantCulture) : "");
                }
                table.Add(cells);
            }
        }
        Write(output, table);
        output.WriteLine("cells: median [min–max] over the rounds; speed: each traced run ÷ the untraced run of its round and sink, steady pairs only.");
    }

    private static string Cell(double median, string format, List<double?> values)
    {
        var present = values.OfType<double>().ToList();
        string m = median.ToString(format, CultureInfo.InvariantCulture);
        if (present.Count < 2)
            return m;
        return $"{m} [{present.Min().ToString(format, CultureInfo.InvariantCulture)}–{present.Max().ToString(format, CultureInfo.InvariantCulture)}]";
    }

    internal static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.OfType<double>().Where(v => !double.IsNaN(v)).Order().ToList();
        if (sorted.Count == 0)
            return null;
        int mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static void Write(TextWriter output, List<List<string>> table)
    {
        int columns = table.Max(r => r.Count);
        var widths = Enumerable.Range(0, columns).Select(c => table.Max(r => c < r.Count ? r[c].Length : 0)).ToArray();
        foreach (var row in table)
        {
            var line = new System.Text.StringBuilder();
            for (int c = 0; c < row.Count; c++)
            {
                if (c == 0)
                    line.Append(row[c].PadRight(widths[c]));
                else
                    line.Append("  ").Append(row[c].PadLeft(widths[c]));
            }
            output.WriteLine(line.ToString().TrimEnd());
        }
    }
}
