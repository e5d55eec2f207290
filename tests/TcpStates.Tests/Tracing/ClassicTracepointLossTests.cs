using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Tracing;

/// <summary>
/// The classic-tracepoint fallback under churn: every change is printed or reported lost, with the
/// kernel's count of the tracepoint's hits (a raw tracepoint of the tool's own, and perf's count of the hits
/// it ran no program for) to tell the losses its program never saw.
/// </summary>
[Collection("tracer")]
public sealed class ClassicTracepointLossTests
{
    [KernelFact]
    public void Churn_on_the_classic_tracepoint_prints_or_reports_every_change()
    {
        const int connections = 2000;
        var env = new Dictionary<string, string> { ["TCPSTATES_DEBUG"] = "1", ["TCPSTATES_ATTACH"] = "tracepoint" };
        using TracerRun run = TracerRun.Start(env, "-s", "-t");
        int port = Traffic.Churn(IPAddress.Loopback, connections, clients: 2);
        string settled = WaitUntilSettled(port, TimeSpan.FromSeconds(15));
        Thread.Sleep(300);
        Assert.Equal(0, run.Stop());

        Assert.Contains("attached: tracepoint with per-CPU ring buffers", run.Stderr, StringComparison.Ordinal);
        // Before: "hits that never reached the programs not counted" on this path.
        Match causes = Regex.Match(run.Stderr,
            @"events lost: (\d+) found the ring full; (\d+) skipped by the kernel \(a recursion\), (\d+) of them caught; (\d+) hits never reached the programs");
        Assert.True(causes.Success, run.Stderr);
        long Cause(int i) => long.Parse(causes.Groups[i].Value, CultureInfo.InvariantCulture);
        long lost = Regex.Matches(run.Stderr, @"lost (\d+) events").Sum(x => long.Parse(x.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Equal(Cause(1) + Cause(2) - Cause(3) + Cause(4), lost);

        // Each socket's rows chain from CLOSE or LISTEN to CLOSE; a change missing breaks its chain, and
        // each break must be covered by a loss reported (the tracepoint is global: losses may be others').
        var rows = run.Lines.Skip(1).Select(l => l.Split(','))
            .Where(f => f.Length >= 11 && (f[^6] == port.ToString(CultureInfo.InvariantCulture) || f[^4] == port.ToString(CultureInfo.InvariantCulture)))
            .ToList();
        int breaks = 0;
        var broken = new List<string>();
        foreach (var socket in rows.GroupBy(f => f[^11]))
        {
            string? previous = null;
            int before = breaks;
            foreach (string[] f in socket)
            {
                string oldState = f[^3];
                bool chains = previous is null or "CLOSE" ? oldState is "CLOSE" or "LISTEN" : previous == oldState;
                if (!chains) breaks++;
                previous = f[^2];
            }
            if (previous != "CLOSE") breaks++;
            if (breaks != before && broken.Count < 8)
                broken.Add(string.Join("\n", socket.TakeLast(10).Select(f => string.Join(',', f))));
        }
        Assert.True(breaks <= lost,
            $"{breaks} breaks in the sockets' chains, {lost} reported lost; {rows.Count} rows; {settled}\n{run.Stderr}\n" +
            $"broken chains (-s -t: time,skaddr,...):\n{string.Join("\n--\n", broken)}");
        if (lost == 0)
            Assert.InRange(rows.Count, connections * 10 - 20, connections * 10 + 2);
    }

    /// <summary>
    /// Until no socket on <paramref name="port"/> has a change to come (any state but TIME_WAIT and CLOSE in
    /// /proc/net/tcp): on a loaded machine a segment retransmitted up to a second later would otherwise change a
    /// socket's state after the tracer stopped, a break no loss covers. Says how it ended, for a failure's message.
    /// </summary>
    private static string WaitUntilSettled(int port, TimeSpan timeout)
    {
        string hexPort = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int open;
        while ((open = File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(l => l.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries))
            .Count(f => f.Length >= 4 && f[3] is not ("06" or "07") && (f[1].EndsWith(hexPort, StringComparison.Ordinal) || f[2].EndsWith(hexPort, StringComparison.Ordinal)))) > 0
            && clock.Elapsed < timeout)
            Thread.Sleep(50);
        return open == 0
            ? $"the port's sockets settled in {clock.ElapsedMilliseconds} ms"
            : $"{open} of the port's sockets still had a change to come after {clock.ElapsedMilliseconds} ms";
    }
}
