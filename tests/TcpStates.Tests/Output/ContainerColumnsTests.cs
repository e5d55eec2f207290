using System.Text;
using TcpStates.Containers;
using TcpStates.Output;

namespace TcpStates.Tests.Output;

public class ContainerColumnsTests
{
    private static string Print(OutputFormat format, CgroupPaths? containers, params TcpStateEvent[] events)
    {
        var output = new MemoryStream();
        var printer = new EventPrinter(output, format, time: false, timestamp: false, TimeProvider.System) { Containers = containers };
        printer.WriteHeader();
        foreach (TcpStateEvent e in events)
            printer.Write(e);
        printer.Flush();
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public void Columns_gain_NETNS_and_CGROUP_after_a_padded_MS()
    {
        CgroupPaths cgroups = new(null);
        cgroups.Remember(77, "/system.slice/nginx.service");
        string text = Print(OutputFormat.Columns, cgroups,
            EventFactory.Create("10.0.0.1", 80, "10.0.0.2", 5000, "nginx"u8.ToArray(), deltaUs: 1373, netns: 4026532001, cgroupId: 77),
            EventFactory.Create("10.0.0.1", 80, "10.0.0.2", 5000, "nginx"u8.ToArray(), deltaUs: 0, netns: 1, cgroupId: 12345));

        string[] lines = text.Split('\n');
        Assert.EndsWith("NEWSTATE    MS        NETNS      CGROUP", lines[0]);
        Assert.EndsWith(" 1.373     4026532001 /system.slice/nginx.service", lines[1]);
        // A cgroup whose path is unknown (removed meanwhile) shows its id.
        Assert.EndsWith(" 0.000     1          12345", lines[2]);
        Assert.Equal(lines[0].IndexOf("NETNS", StringComparison.Ordinal), lines[1].IndexOf("4026532001", StringComparison.Ordinal));
    }

    [Fact]
    public void Csv_gains_netns_and_cgroup_fields_quoted_as_needed()
    {
        CgroupPaths cgroups = new(null);
        cgroups.Remember(5, "/a,b\"c\n");
        string text = Print(OutputFormat.Csv, cgroups, EventFactory.Create(netns: 4026531840, cgroupId: 5, deltaUs: 2000));

        string[] lines = text.Split('\n');
        Assert.Equal("SKADDR,C-PID,C-COMM,IP,LADDR,LPORT,RADDR,RPORT,OLDSTATE,NEWSTATE,MS,netns,cgroup", lines[0]);
        Assert.EndsWith(",2.000,4026531840,\"/a,b\"\"c\\x0a\"", lines[1]);
        Assert.Equal(3, lines.Length);
    }

    [Theory]
    [InlineData(OutputFormat.Columns)]
    [InlineData(OutputFormat.Wide)]
    [InlineData(OutputFormat.Csv)]
    public void Without_C_the_output_is_unchanged(OutputFormat format)
    {
        TcpStateEvent e = EventFactory.Create(netns: 4026532001, cgroupId: 77);
        TcpStateEvent zero = e;
        zero.NetNs = 0;
        zero.CgroupId = 0;
        Assert.Equal(Print(format, null, zero), Print(format, null, e));
        Assert.DoesNotContain("4026532001", Print(format, null, e));
    }

    [Fact]
    public void A_long_cgroup_path_is_cut_in_columns()
    {
        CgroupPaths cgroups = new(null);
        cgroups.Remember(3, "/" + new string('x', 5000));
        string text = Print(OutputFormat.Wide, cgroups, EventFactory.Create(cgroupId: 3));
        string row = text.Split('\n')[1];
        Assert.EndsWith(" /" + new string('x', CgroupPath.MaxColumnLength - 1), row);
    }
}
