using TcpStates.Cli;
using TcpStates.Containers;

namespace TcpStates.Tests.Cli;

/// <summary>-j, -C, --netns and --cgroup on the command line.</summary>
public class ContainerOptionsTests
{
    private static TcpStatesOptions Parse(params string[] args) => CommandLineTests.Parse(args);

    private static (int Code, string Out, string Err) Run(params string[] args) => AppTests.Run(args);

    [Theory]
    [InlineData("-j")]
    [InlineData("--json")]
    [InlineData("--js")]
    public void Json_is_its_own_flag(string flag)
    {
        TcpStatesOptions o = Parse(flag);
        Assert.True(o.Json);
        Assert.False(o.Containers || o.Csv || o.Wide || o.Time || o.Timestamp);
        Assert.Equal(0U, o.NetNs);
        Assert.Equal(0UL, o.CgroupId);
    }

    [Fact]
    public void Json_combines_with_the_filters_times_and_journal()
    {
        TcpStatesOptions o = Parse("-jTtY4", "-L", "80", "-D", "443", "-C");
        Assert.True(o.Json && o.Time && o.Timestamp && o.Journal && o.Containers);
        Assert.Equal(2, o.Family);
        Assert.Equal(new ushort[] { 80 }, o.LocalPorts);
        Assert.Equal(new ushort[] { 443 }, o.RemotePorts);
        Assert.True(Parse("-j6D", "80").Json);
    }

    [Theory]
    [InlineData(new[] { "-j", "-s" }, "argument -j/--json: not allowed with argument -s/--csv")]
    [InlineData(new[] { "-sj" }, "argument -j/--json: not allowed with argument -s/--csv")]
    [InlineData(new[] { "--json", "-w" }, "argument -j/--json: not allowed with argument -w/--wide")]
    [InlineData(new[] { "--netns" }, "argument --netns: expected one argument")]
    [InlineData(new[] { "--cgroup" }, "argument --cgroup: expected one argument")]
    [InlineData(new[] { "--netns", "0" }, "argument --netns: invalid network namespace inode '0'")]
    [InlineData(new[] { "--netns", "99999999999" }, "argument --netns: invalid network namespace inode '99999999999'")]
    [InlineData(new[] { "--netns", "/nonexistent/ns" }, "argument --netns: '/nonexistent/ns': no such file")]
    [InlineData(new[] { "--netns", "/proc/self/ns/uts" }, "argument --netns: '/proc/self/ns/uts' is a namespace, but not a network namespace")]
    [InlineData(new[] { "--netns", "/etc/hostname" }, "argument --netns: '/etc/hostname' is not a namespace file")]
    [InlineData(new[] { "--cgroup", "/nonexistent/cg" }, "argument --cgroup: '/nonexistent/cg': no such directory")]
    [InlineData(new[] { "--cgroup", "/etc" }, "argument --cgroup: '/etc' is not on a cgroup v2 file system")]
    public void Bad_values_print_usage_and_one_error_line_and_exit_2(string[] args, string error)
    {
        (int code, string stdout, string stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        string[] lines = stderr.TrimEnd('\n').Split('\n');
        Assert.Equal(HelpText.Usage, string.Join('\n', lines[..^1]) + "\n");
        Assert.StartsWith("tcpstates: error: " + error, lines[^1]);
    }

    [Fact]
    public void Netns_takes_an_inode_or_a_namespace_file()
    {
        // What ls -l /proc/self/ns/net shows: net:[INODE].
        string link = new FileInfo("/proc/self/ns/net").LinkTarget!;
        uint inode = uint.Parse(link["net:[".Length..^1], System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(inode, Parse("--netns", "/proc/self/ns/net").NetNs);
        Assert.Equal(inode, Parse($"--netns={inode}").NetNs);
        Assert.Equal(4026531999U, Parse("--netns", "4026531999").NetNs);
    }

    [Fact]
    public void Cgroup_takes_a_cgroup2_directory_and_gives_its_id()
    {
        string? root = Cgroup2Mount.Find();
        Assert.True(root is not null, "no cgroup v2 mount in /proc/self/mountinfo");
        ulong expected = Inode(root!);
        Assert.Equal(expected, Parse("--cgroup", root!).CgroupId);
        Assert.Equal(expected, Parse("--cgroup", root! + "/").CgroupId);
    }

    internal static ulong Inode(string path)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        string text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return ulong.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
