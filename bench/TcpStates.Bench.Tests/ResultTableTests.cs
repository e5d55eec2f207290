using TcpStates.Bench.Harness;
using TcpStates.Bench.Load;
using TcpStates.Bench.Measurement;
using TcpStates.Bench.Report;
using TcpStates.Bench.Tracers;

namespace TcpStates.Bench.Tests;

public class ResultTableTests
{
    [Fact]
    public void Median_of_odd_and_even_counts_skips_missing_values()
    {
        Assert.Equal(3, ResultTable.Median([5, null, 1, 3]));
        Assert.Equal(2.5, ResultTable.Median([4, 1, 2, 3]));
        Assert.Null(ResultTable.Median([null]));
    }

    private static RunMeasurement Run(string tracer, int round, double perSecond, long bpfNs = 0) =>
        new(tracer, OutputSink.File, round)
        {
            Churn = new ChurnResult(1, (int)perSecond, 0, 1_000_000_000, null),
            Bpf = bpfNs > 0 ? new BpfRunCounters(bpfNs * 1000, 1000, 0) : null,
        };

    private static string[] Print(IReadOnlySet<(int Round, string Tracer, OutputSink Sink)> steady)
    {
        // Round 1 crawls (the untraced load at 20,000/s) and pairs to a flattering 0.95; rounds 2 and 3 give 0.60.
        RunMeasurement[] runs =
        [
            Run("ours", 1, 19_000, 200), Run("limit", 1, 19_800, 50), Run("none", 1, 20_000),
            Run("ours", 2, 60_000, 200), Run("limit", 2, 98_000, 50), Run("none", 2, 100_000),
            Run("ours", 3, 60_000, 200), Run("limit", 3, 98_000, 50), Run("none", 3, 100_000),
        ];
        var output = new StringWriter();
        ResultTable.Print(output, runs, ["ours", "limit", "none"], [OutputSink.File], 10, steady);
        return output.ToString().Split('\n');
    }

    [Fact]
    public void Speed_comes_from_steady_pairs_only_and_ours_is_set_against_the_limit()
    {
        string[] lines = Print(new HashSet<(int, string, OutputSink)> { (2, "ours", OutputSink.File), (3, "ours", OutputSink.File), (2, "limit", OutputSink.File), (3, "limit", OutputSink.File) });

        string header = lines[0];
        Assert.EndsWith("ours/limit", header.TrimEnd(), StringComparison.Ordinal);
        string speed = lines.Single(l => l.StartsWith("speed traced/untraced, steady", StringComparison.Ordinal));
        Assert.Contains("0.60 [0.60–0.60]", speed, StringComparison.Ordinal);
        Assert.DoesNotContain("0.95", speed, StringComparison.Ordinal);
        Assert.EndsWith("0.61", speed.TrimEnd(), StringComparison.Ordinal);   // 0.60 ÷ 0.98
        string bpf = lines.Single(l => l.StartsWith("BPF ns/event", StringComparison.Ordinal));
        Assert.EndsWith("4.00", bpf.TrimEnd(), StringComparison.Ordinal);     // 200 ÷ 50
    }

    [Fact]
    public void With_no_steady_round_the_speed_row_says_it_pools_all()
    {
        string[] lines = Print(new HashSet<(int, string, OutputSink)>());

        Assert.Contains(lines, l => l.StartsWith("speed traced/untraced, ALL (none steady)", StringComparison.Ordinal) && l.Contains("0.60 [0.60–0.95]", StringComparison.Ordinal));
    }
}
