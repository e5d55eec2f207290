using TcpStates.Bench.Measurement;
using TcpStates.Bench.Steadiness;
using TcpStates.Bench.Tracers;

namespace TcpStates.Bench.Tests;

public class SteadinessJudgeTests
{
    private static readonly SteadinessLimits Limits = new(Margin: 0.15, MinSteadyRounds: 3);

    private static RunSample[] Round(int round, double? untraced, params string[] untracedReasons) =>
    [
        new(round, "ours", OutputSink.File, 80_000, []),
        new(round, "anchor", OutputSink.File, 20_000, []),
        new(round, TracerSpec.NoneName, OutputSink.File, untraced, untracedReasons),
    ];

    [Fact]
    public void Rounds_at_one_pace_are_all_steady_and_enough()
    {
        var verdict = SteadinessJudge.Judge([.. Round(1, 100_000), .. Round(2, 95_000), .. Round(3, 104_000)], Limits);

        Assert.Equal(6, verdict.Counted.Count);
        Assert.Equal(3, verdict.CountedPerColumn[("ours", OutputSink.File)]);
        Assert.True(verdict.MachineSteady);
        Assert.True(verdict.Enough);
        Assert.Equal(104_000 / 95_000.0 - 1, verdict.UntracedSpread!.Value, 6);
    }

    [Fact]
    public void A_crawling_round_is_left_out_and_named()
    {
        // The sitting: 18,000/s in the first rounds, ~85,000/s later.
        var verdict = SteadinessJudge.Judge([.. Round(1, 18_000), .. Round(2, 80_000), .. Round(3, 85_000), .. Round(4, 83_000)], Limits);

        Assert.DoesNotContain((1, "ours", OutputSink.File), verdict.Counted);
        Assert.Contains((2, "ours", OutputSink.File), verdict.Counted);
        Assert.Equal(3, verdict.CountedPerColumn[("ours", OutputSink.File)]);
        Assert.Contains(verdict.LeftOut, l => l.StartsWith("round 1 file none:", StringComparison.Ordinal) && l.Contains("off the median", StringComparison.Ordinal));
        Assert.False(verdict.MachineSteady);
        Assert.True(verdict.Enough);
    }

    [Fact]
    public void A_disturbed_untraced_run_leaves_out_its_rounds_pairs_and_too_few_are_not_enough()
    {
        var verdict = SteadinessJudge.Judge([.. Round(1, 100_000, "others used 0.90 cores"), .. Round(2, 100_000), .. Round(3, 99_000, "5 listen overflows/drops")], Limits);

        Assert.Equal([(2, "anchor", OutputSink.File), (2, "ours", OutputSink.File)], verdict.Counted.Order());
        Assert.Contains("round 1 file none: others used 0.90 cores", verdict.LeftOut);
        Assert.False(verdict.Enough);
    }

    [Fact]
    public void A_disturbed_traced_run_leaves_out_its_own_pair_only()
    {
        // Round 2's anchor run had steal: ours' pair of that round still counts.
        RunSample[] runs = [.. Round(1, 100_000), .. Round(2, 100_000), .. Round(3, 99_000)];
        runs[4] = runs[4] with { Reasons = ["steal 9 %"] };

        var verdict = SteadinessJudge.Judge(runs, Limits);

        Assert.Equal(3, verdict.CountedPerColumn[("ours", OutputSink.File)]);
        Assert.Equal(2, verdict.CountedPerColumn[("anchor", OutputSink.File)]);
        Assert.Equal(["round 2 file anchor: steal 9 %"], verdict.LeftOut);
        Assert.False(verdict.Enough);   // the anchor's column has 2 of 3
    }

    [Fact]
    public void Untraced_runs_alone_owe_no_speed_figure()
    {
        var verdict = SteadinessJudge.Judge([new(1, TracerSpec.NoneName, OutputSink.File, 100_000, [])], Limits);

        Assert.Empty(verdict.Counted);
        Assert.True(verdict.Enough);
    }

    [Fact]
    public void A_round_without_an_untraced_pace_cannot_be_judged_steady()
    {
        var verdict = SteadinessJudge.Judge([.. Round(1, null), .. Round(2, 0)], Limits);

        Assert.Empty(verdict.Counted);
        Assert.Equal(2, verdict.LeftOut.Count);
        Assert.False(verdict.Enough);
    }

    [Fact]
    public void Disturbance_counts_the_busy_time_nobody_of_ours_used()
    {
        // 1 s window on 2 cores: 150 busy ticks = 1.5 s of CPU; the load used 0.9 s, the tracer 0.2 s.
        var window = new MachineCounters(BusyTicks: 150, StealTicks: 10, TotalTicks: 200, RetransSegs: 12, ListenOverflows: 1, ListenDrops: 1);

        var d = RunDisturbance.From(window, 1_000_000_000, 900_000_000, 200_000_000);

        Assert.Equal(0.4, d.ForeignCores, 6);
        Assert.Equal(0.05, d.StealFraction, 6);
        Assert.Equal(2, d.ListenOverflows);
        var reasons = d.Reasons(new SteadinessLimits(), traced: false).ToList();
        Assert.Equal(4, reasons.Count);
        Assert.Empty(RunDisturbance.From(window with { BusyTicks = 100, StealTicks = 0, RetransSegs = 1, ListenOverflows = 0, ListenDrops = 0 }, 1_000_000_000, 900_000_000, 100_000_000).Reasons(new SteadinessLimits(), traced: false));
    }

    [Fact]
    public void A_traced_runs_retransmits_and_overflows_are_the_tracers_own_not_the_machines()
    {
        var window = new MachineCounters(BusyTicks: 100, StealTicks: 0, TotalTicks: 200, RetransSegs: 15, ListenOverflows: 1, ListenDrops: 0);
        var d = RunDisturbance.From(window, 1_000_000_000, 900_000_000, 100_000_000);

        Assert.Equal(["15 retransmits", "1 listen overflows/drops"], d.Reasons(new SteadinessLimits(), traced: false));
        Assert.Empty(d.Reasons(new SteadinessLimits(), traced: true));
        // Steal and others' CPU disturb any run.
        var stolen = RunDisturbance.From(window with { StealTicks = 10 }, 1_000_000_000, 900_000_000, 100_000_000);
        Assert.Equal(["steal 5 %"], stolen.Reasons(new SteadinessLimits(), traced: true));
    }

    [Fact]
    public void Proc_counters_parse_from_their_kernel_formats()
    {
        const string stat = "cpu  100 2 30 500 7 1 4 9 0 0\ncpu0 50 1 15 250 3 0 2 4 0 0\n";
        const string snmp = "Ip: Forwarding DefaultTTL\nIp: 1 64\nTcp: RtoAlgorithm RtoMin RetransSegs InErrs\nTcp: 1 200 42 0\n";
        const string netstat = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 3 5\nIpExt: InNoRoutes\nIpExt: 0\n";

        Assert.Equal((137L, 9L, 653L), MachineCounters.ParseCpuLine(stat));
        Assert.Equal(42, MachineCounters.ParseProtocolCounter(snmp, "Tcp:", "RetransSegs"));
        Assert.Equal(3, MachineCounters.ParseProtocolCounter(netstat, "TcpExt:", "ListenOverflows"));
        Assert.Equal(5, MachineCounters.ParseProtocolCounter(netstat, "TcpExt:", "ListenDrops"));
        Assert.Equal(0, MachineCounters.ParseProtocolCounter(netstat, "TcpExt:", "Absent"));
    }
}
