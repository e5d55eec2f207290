using TcpStates.Cli;
using TcpStates.Output;

namespace TcpStates.Tests.Cli;

public class CommandLineTests
{
    /// <summary>The options of a command line that must parse (no error, no help).</summary>
    internal static TcpStatesOptions Parse(params string[] args)
    {
        CommandLineResult result = new TcpStatesCommandLine().Parse(args);
        Assert.Null(result.Error);
        Assert.False(result.HelpRequested);
        return Assert.IsType<TcpStatesOptions>(result.Options);
    }

    [Fact]
    public void No_flags_trace_everything_in_the_default_layout()
    {
        TcpStatesOptions o = Parse();
        Assert.Equal(new TcpStatesOptions(), o);
        Assert.False(o.Time || o.Timestamp || o.Wide || o.Csv || o.Journal || o.Ebpf);
        Assert.Empty(o.LocalPorts);
        Assert.Empty(o.RemotePorts);
        Assert.Equal(0, o.Family);
        Assert.Equal(OutputFormat.Columns, o.Format);
    }

    [Theory]
    [InlineData("-T", "Time")]
    [InlineData("--time", "Time")]
    [InlineData("-t", "Timestamp")]
    [InlineData("--timestamp", "Timestamp")]
    [InlineData("-w", "Wide")]
    [InlineData("--wide", "Wide")]
    [InlineData("-s", "Csv")]
    [InlineData("--csv", "Csv")]
    [InlineData("-Y", "Journal")]
    [InlineData("--journal", "Journal")]
    [InlineData("--jour", "Journal")]
    [InlineData("--ebpf", "Ebpf")]
    public void Each_flag_sets_only_its_option(string flag, string property)
    {
        TcpStatesOptions o = Parse(flag);
        var set = new Dictionary<string, bool>
        {
            ["Time"] = o.Time, ["Timestamp"] = o.Timestamp, ["Wide"] = o.Wide, ["Csv"] = o.Csv,
            ["Journal"] = o.Journal, ["Ebpf"] = o.Ebpf,
        };
        Assert.Equal([property], set.Where(kv => kv.Value).Select(kv => kv.Key));
    }

    [Theory]
    [InlineData(new[] { "-4" }, 2)]
    [InlineData(new[] { "--ipv4" }, 2)]
    [InlineData(new[] { "-6" }, 10)]
    [InlineData(new[] { "--ipv6" }, 10)]
    [InlineData(new[] { "-4", "-4" }, 2)]
    public void The_family_flags_pick_AF_INET_or_AF_INET6(string[] args, int family)
    {
        Assert.Equal(family, Parse(args).Family);
    }

    [Theory]
    [InlineData("-stT")]
    [InlineData("-sTt")]
    [InlineData("-Tst")]
    public void Bundled_flags_are_each_set(string bundle)
    {
        TcpStatesOptions o = Parse(bundle);
        Assert.True(o.Csv && o.Time && o.Timestamp);
        Assert.False(o.Wide);
        Assert.Equal(OutputFormat.Csv, o.Format);
    }

    [Fact]
    public void Wide_with_time_and_csv_over_wide()
    {
        TcpStatesOptions o = Parse("-wT");
        Assert.True(o.Wide && o.Time);
        Assert.Equal(OutputFormat.Wide, o.Format);
        Assert.Equal(OutputFormat.Csv, Parse("-ws").Format);
    }

    [Theory]
    [InlineData(new[] { "-L", "80" }, new ushort[] { 80 })]
    [InlineData(new[] { "-L", "80,81" }, new ushort[] { 80, 81 })]
    [InlineData(new[] { "-L80" }, new ushort[] { 80 })]
    [InlineData(new[] { "--localport", "1,65535" }, new ushort[] { 1, 65535 })]
    [InlineData(new[] { "--localport=443" }, new ushort[] { 443 })]
    [InlineData(new[] { "-tL", "80" }, new ushort[] { 80 })]
    [InlineData(new[] { "-L", "80", "-L", "22" }, new ushort[] { 22 })]
    [InlineData(new[] { "-L", "80,80,81" }, new ushort[] { 80, 81 })]
    public void Local_ports_are_a_set(string[] args, ushort[] ports)
    {
        Assert.Equal(ports.ToHashSet(), Parse(args).LocalPorts.ToHashSet());
        Assert.Empty(Parse(args).RemotePorts);
    }

    [Theory]
    [InlineData(new[] { "-D", "80" }, new ushort[] { 80 })]
    [InlineData(new[] { "-D", "80,8080" }, new ushort[] { 80, 8080 })]
    [InlineData(new[] { "--remoteport", "53" }, new ushort[] { 53 })]
    [InlineData(new[] { "--remote=22" }, new ushort[] { 22 })]
    public void Remote_ports_are_a_set(string[] args, ushort[] ports)
    {
        Assert.Equal(ports.ToHashSet(), Parse(args).RemotePorts.ToHashSet());
        Assert.Empty(Parse(args).LocalPorts);
    }

    [Fact]
    public void All_options_together()
    {
        TcpStatesOptions o = Parse("-tTws", "-L", "80", "-D", "443,8443", "-Y", "-6");
        Assert.True(o.Time && o.Timestamp && o.Wide && o.Csv && o.Journal);
        Assert.Equal([80], o.LocalPorts.ToArray());
        Assert.Equal(new HashSet<ushort> { 443, 8443 }, o.RemotePorts.ToHashSet());
        Assert.Equal(10, o.Family);
    }

    [Fact]
    public void Up_to_1024_ports_are_taken_and_more_are_refused_at_parse_time()
    {
        string ports = string.Join(',', Enumerable.Range(1, TcpStatesCommandLine.MaxPorts));
        Assert.Equal(TcpStatesCommandLine.MaxPorts, Parse("-L", ports).LocalPorts.Count);
        // Repeats count once: they are one map entry.
        Assert.Equal(TcpStatesCommandLine.MaxPorts, Parse("-D", ports + ",1,2").RemotePorts.Count);

        CommandLineResult result = new TcpStatesCommandLine().Parse(["-L", ports + ",2000"]);
        Assert.Null(result.Options);
        Assert.Equal("argument -L/--localport: 1025 ports given, at most 1024 can be traced", result.Error);
    }

    [Fact]
    public void A_bad_port_is_named_once_without_the_whole_list()
    {
        string list = string.Join(',', Enumerable.Range(1, 500)) + ",x";
        CommandLineResult result = new TcpStatesCommandLine().Parse(["-D", list]);
        Assert.Equal("argument -D/--remoteport: invalid port 'x' (expected a comma-separated list of ports from 1 to 65535)", result.Error);
    }

    [Fact]
    public void A_hundred_thousand_arguments_are_parsed_each_once()
    {
        // Linear by construction (each argument is looked at a fixed number of times); this checks the result.
        string[] flags = Enumerable.Repeat("-T", 100_000).ToArray();
        Assert.True(Parse(flags).Time);

        string[] unknown = Enumerable.Range(0, 100_000).Select(i => "x" + i).ToArray();
        CommandLineResult result = new TcpStatesCommandLine().Parse(["-s", .. unknown, "--", .. unknown]);
        Assert.Equal("unrecognized arguments: " + string.Join(' ', unknown) + " -- " + string.Join(' ', unknown), result.Error);
    }
}
