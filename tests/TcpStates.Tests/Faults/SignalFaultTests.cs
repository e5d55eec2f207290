using System.Globalization;
using System.Net;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>
/// However the tool is ended (or poked) by a signal, it ends (or carries on) cleanly: within bounds, no
/// stack trace, every event so far on stdout, nothing of its own left in the kernel.
/// </summary>
[Collection("tracer")]
public sealed class SignalFaultTests
{
    private const int SIGHUP = 1, SIGKILL = 9, SIGPIPE = 13;

    /// <summary>Starts the tool, makes one connection and waits for its rows; returns the port.</summary>
    private static (TracerRun Run, ToolObjects Objects, int Port) StartAndTrace()
    {
        TracerRun run = TracerRun.Start("-s");
        ToolObjects objects = ToolObjects.Of(ToolObjects.ChildToolPid());
        int port = Traffic.OneConnection(IPAddress.Loopback, TimeSpan.Zero);
        WaitForRows(run, port, 10);
        return (run, objects, port);
    }

    private static void WaitForRows(TracerRun run, int port, int count)
    {
        string p = port.ToString(CultureInfo.InvariantCulture);
        run.WaitForLines(l => l.Count(x => x.Contains("," + p + ",", StringComparison.Ordinal)) >= count, TimeSpan.FromSeconds(20), $"{count} rows of port {port}");
    }

    [KernelFact]
    public void SIGINT_ends_the_tool_with_exit_0() => EndsCleanly(Host.SIGINT, 0);

    [KernelFact]
    public void SIGTERM_ends_the_tool_with_exit_0() => EndsCleanly(Host.SIGTERM, 0);

    [KernelFact]
    public void SIGHUP_ends_the_tool() => EndsCleanly(SIGHUP, 128 + SIGHUP);

    [KernelFact]
    public void SIGKILL_leaves_nothing_in_the_kernel() => EndsCleanly(SIGKILL, 128 + SIGKILL);

    private static void EndsCleanly(int signal, int expectedExit)
    {
        using var leftovers = ToolLeftovers.Watch();
        (TracerRun run, ToolObjects objects, _) = StartAndTrace();
        using (run)
        {
            Assert.Equal(expectedExit, run.Stop(signal));
            Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
            if (signal is Host.SIGINT or Host.SIGTERM) ToolScript.AssertOnlyLossReports(run.Stderr);
        }
        objects.AssertAllGone();
    }

    [KernelFact]
    public void SIGPIPE_alone_does_not_end_the_tool()
    {
        using var leftovers = ToolLeftovers.Watch();
        // A broken pipe shows as EPIPE on the write; the signal itself, sent by someone, is no reason to stop.
        (TracerRun run, ToolObjects objects, _) = StartAndTrace();
        using (run)
        {
            ToolLeftovers.WaitForObjects();
            Host.Kill(ToolObjects.ChildToolPid(), SIGPIPE);
            int port = Traffic.OneConnection(IPAddress.Loopback, TimeSpan.Zero);
            WaitForRows(run, port, 10);
            Assert.Equal(0, run.Stop(Host.SIGINT));
            ToolScript.AssertOnlyLossReports(run.Stderr);
        }
        objects.AssertAllGone();
    }

    [KernelFact]
    public void A_closed_stdin_changes_nothing() => TracesWithStdin("<&-");

    [KernelFact]
    public void An_empty_stdin_changes_nothing() => TracesWithStdin("</dev/null");

    private static void TracesWithStdin(string redirect)
    {
        using var leftovers = ToolLeftovers.Watch();
        using var listener = Traffic.Listen(IPAddress.Loopback);
        int port = Traffic.PortOf(listener);
        string p = port.ToString(CultureInfo.InvariantCulture);
        // The tool in the background of a script (SIGTERM: a background job of a script starts with SIGINT ignored).
        (int code, string stdout, string stderr) = ToolScript.Run(
            $"out=$(mktemp); \"$BIN\" -s {redirect} > \"$out\" & pid=$!\n" +
            "for i in $(seq 300); do [ -s \"$out\" ] && break; sleep 0.1; done\n" +
            "echo ready >&2\n" +
            $"for i in $(seq 300); do [ $(grep -c ',{p},' \"$out\") -ge 5 ] && break; sleep 0.1; done\n" +
            "tool_seen; kill -TERM $pid; wait $pid; rc=$?; cat \"$out\"; rm -f \"$out\"; exit $rc",
            () => Traffic.Connection(listener, new IPEndPoint(IPAddress.Loopback, port), TimeSpan.Zero));
        Assert.Equal(0, code);
        Assert.Equal("ready", stderr.Trim());
        Assert.StartsWith("SKADDR,", stdout, StringComparison.Ordinal);
        Assert.Contains("," + p + ",", stdout, StringComparison.Ordinal);
    }
}
