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
