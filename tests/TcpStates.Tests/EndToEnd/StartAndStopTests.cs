using System.Diagnostics;
using System.Net;

namespace TcpStates.Tests.EndToEnd;

/// <summary>How the published tool starts, fails to start, and ends when its reader goes away.</summary>
[Collection("tracer")]
public sealed class StartAndStopTests
{
    [KernelFact]
    public void A_closed_stdout_ends_the_tool_quietly_with_exit_0()
    {
        using var listener = Traffic.Listen(IPAddress.Loopback);
        int port = Traffic.PortOf(listener);
        // head takes the header and two rows and leaves; the tool's next write finds the pipe closed.
        (int code, string stdout, string stderr) = ToolScript.Run(
            "\"$BIN\" -s | head -n 3; echo \"tool=${PIPESTATUS[0]}\"",
            () => Traffic.Connection(listener, new IPEndPoint(IPAddress.Loopback, port), TimeSpan.Zero));
        Assert.Equal(0, code);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("SKADDR,", lines[0]);
        Assert.Equal("tool=0", lines[3]);
        Assert.Equal("", stderr);
    }

    [KernelFact]
    public void What_start_up_allocated_is_not_kept_resident_while_the_tool_traces()
    {
        using TracerRun run = TracerRun.Start();
        // VmHWM is start-up's peak. Nothing allocates while the tool traces, so without a collection of its own once
        // the header is out, start-up's garbage would keep the resident set at that peak for as long as it runs.
        (long rss, long hwm) = ResidentKiB(run.ProcessId);
        var wait = Stopwatch.StartNew();
        while (hwm - rss < 128 && wait.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(50);
            (rss, hwm) = ResidentKiB(run.ProcessId);
        }
        Assert.True(hwm - rss >= 128, $"VmRSS {rss} kB against VmHWM {hwm} kB, {wait.Elapsed.TotalSeconds:F1} s after the header");
    }

    private static (long Rss, long Hwm) ResidentKiB(int pid)
    {
        long rss = 0, hwm = 0;
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = long.Parse(line[6..].Trim().Split(' ')[0]);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                hwm = long.Parse(line[6..].Trim().Split(' ')[0]);
        }
        return (rss, hwm);
    }

    [KernelFact]
    public void Without_privileges_the_tool_says_so_in_one_line_and_fails()
    {
        (int code, string stdout, string stderr) = ToolScript.Run("exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \"$BIN\"");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("tcpstates: ", line);
        Assert.Contains("EPERM", line);
        Assert.Contains("CAP_BPF", line);
    }

    [KernelFact]
    public void Bad_command_lines_exit_2_with_usage_and_one_error_line_from_the_binary()
    {
        foreach (string args in new[] { "-L 0", "-L 70000", "-D x", "-L ''", "-4 -6", "--nope" })
        {
            (int code, string stdout, string stderr) = ToolScript.Run($"exec \"$BIN\" {args}");
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("usage: tcpstates", lines[0]);
            Assert.StartsWith("tcpstates: error: ", lines[^1]);
            Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        }
    }

    [KernelFact]
    public void Ebpf_prints_the_program_and_exits_without_tracing()
    {
        (int code, string stdout, string stderr) = ToolScript.Run("exec \"$BIN\" --ebpf");
        Assert.Equal(0, code);
        Assert.Contains("SEC(\"tp_btf/inet_sock_set_state\")", stdout);
        Assert.Contains("struct event {", stdout);
        // The disassembly of the object embedded in this very binary, with its map references named.
        Assert.Matches(@"/\* ---- tcpstates_btf \(tp_btf/inet_sock_set_state\): \d+ instructions ---- \*/", stdout);
        Assert.Matches(@"/\* ---- tcpstates_tp \(tracepoint/sock/inet_sock_set_state\): \d+ instructions ---- \*/", stdout);
        Assert.Contains("map[timestamps] ll", stdout);
        Assert.Contains("exit", stdout);
        Assert.Equal("", stderr);
    }
}
