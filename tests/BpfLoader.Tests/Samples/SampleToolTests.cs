using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Samples;

/// <summary>
/// The three samples of samples/, built against the packed BpfLoader (<see cref="PackedSamples"/>) and run as
/// root against real activity of the test's own: an exec of a file only this test has, connect() calls from this
/// process, packets over a veth pair between two network namespaces the test creates.
/// </summary>
public sealed class SampleToolTests : IClassFixture<PackedSamples>
{
    private readonly PackedSamples _samples;

    public SampleToolTests(PackedSamples samples) => _samples = samples;

    [KernelFact]
    public void ExecSnoop_prints_an_exec_of_the_tests_own_file_from_its_ring_buffer()
    {
        string exe = _samples.Build("ExecSnoop");
        string probe = Path.Combine(Path.GetTempPath(), "execsnoop-probe-" + Guid.NewGuid().ToString("N")[..8]);
        File.Copy("/bin/true", probe);   // keeps its mode: executable
        try
        {
            using var snoop = new RunningSample(exe, "--timeout 60");
            Assert.True(snoop.WaitFor("PID"), "no header: " + snoop.Stdout + snoop.Stderr);
            using (Process p = Process.Start(probe)!) p.WaitForExit();
            Assert.True(snoop.WaitFor(probe), $"the exec of {probe} was not printed:\n{snoop.Stdout}{snoop.Stderr}");
            string line = snoop.Stdout.Split('\n').First(l => l.Contains(probe, StringComparison.Ordinal));
            Assert.Matches(@"^\d+\s+\d+\s+\S", line);   // PID, the parent's PID, COMM
        }
        finally
        {
            File.Delete(probe);
        }
    }

    [KernelFact]
    public void PidCounter_counts_this_processs_connect_calls_in_its_hash_map()
    {
        string exe = _samples.Build("PidCounter");
        using var counter = new RunningSample(exe, "--duration 3");
        Assert.True(counter.WaitFor("counting"), "did not attach: " + counter.Stdout + counter.Stderr);
        const int Calls = 7;
        for (int i = 0; i < Calls; i++)
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try { s.Connect(new IPEndPoint(IPAddress.Loopback, 1)); }
            catch (SocketException) { }   // refused: the call was made, which is what is counted
        }
        Assert.Equal(0, counter.WaitForExit());
        Match row = Regex.Match(counter.Stdout, $@"^{Environment.ProcessId}\s+(\d+)\s", RegexOptions.Multiline);
        Assert.True(row.Success, $"no row for this process ({Environment.ProcessId}):\n{counter.Stdout}{counter.Stderr}");
        Assert.True(long.Parse(row.Groups[1].Value) >= Calls, row.Value);   // the test host may connect too
    }

    [KernelFact]
    public void XdpCount_counts_packets_arriving_on_a_veth_in_a_namespace_of_the_test()
    {
        string exe = _samples.Build("XdpCount");
        string id = Guid.NewGuid().ToString("N")[..6];
        string nsA = "xdps-a-" + id, nsB = "xdps-b-" + id;
        try
        {
            Ip($"netns add {nsA}");
            Ip($"netns add {nsB}");
            Ip($"link add xa{id} netns {nsA} type veth peer name xb{id} netns {nsB}");
            Ip($"-n {nsA} addr add 10.211.0.1/24 dev xa{id}");
            Ip($"-n {nsB} addr add 10.211.0.2/24 dev xb{id}");
            Ip($"-n {nsA} link set xa{id} up");
            Ip($"-n {nsB} link set xb{id} up");

            using var count = new RunningSample("ip", $"netns exec {nsA} {exe} xa{id} --duration 4");
            Assert.True(count.WaitFor("counting"), "did not attach: " + count.Stdout + count.Stderr);
            // Each refused connect() sends one SYN to the counted side (its RST goes the other way).
            const int Syns = 20;
            (int sent, string sentOut) = Command("ip",
                $"netns exec {nsB} bash -c \"for i in $(seq {Syns}); do (echo > /dev/tcp/10.211.0.1/9) 2>/dev/null; done; true\"");
            Assert.True(sent == 0, sentOut);
            Assert.Equal(0, count.WaitForExit());
            Match m = Regex.Match(count.Stdout, @"^(\d+) packets, (\d+) bytes", RegexOptions.Multiline);
            Assert.True(m.Success, count.Stdout + count.Stderr);
            Assert.True(long.Parse(m.Groups[1].Value) >= Syns, m.Value);        // the SYNs, and ARP and IPv6 neighbour discovery
            Assert.True(long.Parse(m.Groups[2].Value) >= Syns * 54L, m.Value);  // a SYN is at least 54 bytes on the wire
        }
        finally
        {
            Command("ip", $"netns del {nsA}");
            Command("ip", $"netns del {nsB}");
        }
    }

    private static void Ip(string args)
    {
        (int code, string output) = Command("ip", args);
        Assert.True(code == 0, $"ip {args}: {output}");
    }

    private static (int, string) Command(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }
}
