using System.Globalization;
using TcpStates.Bench.Load;
using TcpStates.Bench.Measurement;

namespace TcpStates.Bench.Tests;

public class ChurnGeneratorTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Makes_the_requested_connections_on_loopback(bool reset, bool ipv6)
    {
        var mode = reset ? CloseMode.Reset : CloseMode.Graceful;
        var options = new ChurnOptions(300, TimeSpan.FromSeconds(60), Workers: 2, mode, ipv6, TimeSpan.Zero);

        ChurnResult result = new ChurnGenerator(options).Run();

        Assert.Null(result.FirstError);
        Assert.Equal(0, result.Failures);
        Assert.Equal(300, result.Connections);
        Assert.InRange(result.Port, 1, 65535);
        Assert.True(result.ElapsedNs > 0);
    }

    [Fact]
    public void IPv4_clients_take_their_source_addresses_in_turn_from_127_0_0_2_on()
    {
        var options = new ChurnOptions(300, TimeSpan.FromSeconds(60), Workers: 2, CloseMode.Graceful, false, TimeSpan.Zero);

        ChurnResult result = new ChurnGenerator(options).Run();

        Assert.Equal(300, result.Connections);
        // The clients' sockets wait in TIME_WAIT for a minute (a few still in FIN_WAIT2): their local addresses show who
        // connected from where.
        string[] sockstat = File.ReadAllLines("/proc/net/sockstat");
        long timeWaits = long.Parse(sockstat.Single(l => l.StartsWith("TCP:", StringComparison.Ordinal)).Split(' ')[6], CultureInfo.InvariantCulture);
        long cap = long.Parse(File.ReadAllText("/proc/sys/net/ipv4/tcp_max_tw_buckets").Trim(), CultureInfo.InvariantCulture);
        Assert.True(timeWaits < cap, $"the TIME_WAIT table is full ({timeWaits}), so closed sockets leave no trace: run again a minute after the last churn");
        var sources = new Dictionary<int, int>();
        foreach (string line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            // "sl local_address rem_address st": HEXADDR:HEXPORT, the address as the host reads the __be32.
            string[] f = line.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries);
            if (int.Parse(f[2].AsSpan(9), NumberStyles.HexNumber, CultureInfo.InvariantCulture) != result.Port)
                continue;
            uint address = uint.Parse(f[1].AsSpan(0, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            Assert.Equal(127u, address & 0xff);
            int last = (int)(address >> 24);
            sources[last] = sources.GetValueOrDefault(last) + 1;
        }
        Assert.Equal(Enumerable.Range(2, ChurnGenerator.SourceAddresses), sources.Keys.Order());
        // In turn: none more than its share (a read of /proc/net/tcp may miss sockets while others come and go).
        Assert.All(sources.Values, n => Assert.InRange(n, 1, (300 + ChurnGenerator.SourceAddresses - 1) / ChurnGenerator.SourceAddresses));
    }

    [Fact]
    public void Stops_at_the_time_bound_before_the_count()
    {
        var options = new ChurnOptions(int.MaxValue, TimeSpan.FromMilliseconds(200), Workers: 1, CloseMode.Graceful, false, TimeSpan.FromMilliseconds(1));

        ChurnResult result = new ChurnGenerator(options).Run();

        Assert.InRange(result.Connections, 1, 1000);   // 1 ms apart: far below the count
    }

    [Fact]
    public void Result_line_round_trips()
    {
        var result = new ChurnResult(4242, 20000, 3, 1_500_000_000, "connect:99");

        Assert.Equal(result, ChurnResult.Parse(result.Format()));
        Assert.Equal(result with { FirstError = null }, ChurnResult.Parse((result with { FirstError = null }).Format()));
        Assert.Null(ChurnResult.Parse("something else"));
    }

    [Fact]
    public void Result_line_carries_the_loads_cpu_and_host_counters_and_the_c_loops_line_parses_without_them()
    {
        var result = new ChurnResult(4242, 20000, 0, 250_000_000, null)
        {
            CpuNs = 480_000_000,
            Machine = new MachineCounters(BusyTicks: 50, StealTicks: 1, TotalTicks: 51, RetransSegs: 2, ListenOverflows: 3, ListenDrops: 4),
        };

        Assert.Equal(result, ChurnResult.Parse(result.Format()));
        ChurnResult? fromC = ChurnResult.Parse("result port=35875 connections=20000 failures=0 elapsed_ns=2181723614 first_error=-");
        Assert.NotNull(fromC);
        Assert.Null(fromC.CpuNs);
        Assert.Null(fromC.Machine);
    }
}
