using TcpStates.Bench.Measurement;
using TcpStates.Bench.Steadiness;

namespace TcpStates.Bench.Tests;

public class SteadinessJudgeTests
{
    private static readonly SteadinessLimits Limits = new(Margin: 0.15, MinSteadyRounds: 3);

    [Fact]
    public void Rounds_at_one_pace_are_all_steady_and_enough()
    {
        var verdict = SteadinessJudge.Judge(
            [new(1, 100_000, []), new(2, 95_000, []), new(3, 104_000, [])], Limits);

        Assert.Equal([1, 2, 3], verdict.SteadyRounds.Order());
        Assert.True(verdict.MachineSteady);
        Assert.True(verdict.Enough);
        Assert.Equal(104_000 / 95_000.0 - 1, verdict.UntracedSpread!.Value, 6);
    }

    [Fact]
    public void A_crawling_round_is_left_out_and_named()
    {
        // The sitting: 18,000/s in the first rounds, ~85,000/s later.
        var verdict = SteadinessJudge.Judge(
            [new(1, 18_000, []), new(2, 80_000, []), new(3, 85_000, []), new(4, 83_000, [])], Limits);

        Assert.Equal([2, 3, 4], verdict.SteadyRounds.Order());
        Assert.Contains("off the median", verdict.UnsteadyRounds[1], StringComparison.Ordinal);
        Assert.False(verdict.MachineSteady);
        Assert.True(verdict.Enough);
    }

    [Fact]
    public void A_disturbed_round_is_unsteady_whatever_its_pace_and_too_few_are_not_enough()
    {
        var verdict = SteadinessJudge.Judge(
            [new(1, 100_000, ["others used 0.90 cores"]), new(2, 100_000, []), new(3, 99_000, ["5 listen overflows/drops"])], Limits);

        Assert.Equal([2], verdict.SteadyRounds);
        Assert.Equal("others used 0.90 cores", verdict.UnsteadyRounds[1]);
        Assert.False(verdict.Enough);
    }

    [Fact]
    public void A_round_without_an_untraced_run_cannot_be_judged_steady()
    {
        var verdict = SteadinessJudge.Judge([new(1, null, []), new(2, 0, [])], Limits);

        Assert.Empty(verdict.SteadyRounds);
        Assert.Equal(2, verdict.UnsteadyRounds.Count);
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
