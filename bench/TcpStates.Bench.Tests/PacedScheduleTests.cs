using TcpStates.Bench.Load;

namespace TcpStates.Bench.Tests;

public class PacedScheduleTests
{
    [Fact]
    public void Workers_share_the_rate_on_interleaved_grids()
    {
        var schedule = new PacedSchedule(ConnectionsPerSecond: 1000, Workers: 2);

        // Together: one connection every 1 ms; each worker every 2 ms, worker 1 offset by 1 ms.
        Assert.Equal(0.000, schedule.DueSeconds(0, 0), 9);
        Assert.Equal(0.001, schedule.DueSeconds(1, 0), 9);
        Assert.Equal(0.002, schedule.DueSeconds(0, 1), 9);
        Assert.Equal(0.003, schedule.DueSeconds(1, 1), 9);
        Assert.Equal(2.0, schedule.DueSeconds(0, 1000), 9);
    }

    [Fact]
    public void Event_rates_convert_to_connection_rates_and_counts()
    {
        double perSecond = PacedSchedule.ForEvents(10_000, eventsPerConnection: 10);

        Assert.Equal(1_000, perSecond);
        Assert.Equal(5_000, new PacedSchedule(perSecond, 2).CountFor(5));
        Assert.Equal(0, PacedSchedule.ForEvents(1_000, 0));
        Assert.Equal(0, new PacedSchedule(0, 2).DueSeconds(1, 10));
    }

    [Fact]
    public void A_paced_load_keeps_its_rate()
    {
        // 400 connections at 2,000/s: the grid ends 0.2 s in; no spinning, so well above it is the machine.
        var options = new ChurnOptions(400, TimeSpan.FromSeconds(30), Workers: 2, CloseMode.Graceful, false, TimeSpan.Zero) { Rate = 2_000 };

        ChurnResult result = new ChurnGenerator(options).Run();

        Assert.Equal(400, result.Connections);
        Assert.True(result.ElapsedNs >= 199_000_000, $"took {result.ElapsedNs} ns, faster than its grid");
    }
}
