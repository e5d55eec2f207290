using System.Net;
using System.Text.Json;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Packaging;

/// <summary>
/// tcpstates.service: systemd accepts it, and what it grants is enough. A real systemd runs it in a container
/// (<see cref="BootedService"/>); and, to see the tool's own output under it, its sandbox is also rebuilt from the
/// unit's own lines: the capability bounding and ambient sets and no_new_privs with setpriv, ProtectSystem=strict
/// and ProtectKernelTunables=yes as a read-only root and /sys, the tool run as ExecStart= says, stopped with KillSignal=.
/// </summary>
[Collection("tracer")]
public sealed class ServiceUnitTests
{
    private const string UnitPath = "/usr/lib/systemd/system/tcpstates.service";

    [KernelFact]
    public void Systemd_analyze_verify_accepts_the_installed_unit()
    {
        ProcessResult verify = InstalledRoot.Run(["systemd-analyze", "verify", UnitPath]);
        Assert.True(verify.ExitCode == 0 && verify.Stdout + verify.Stderr == "", $"exit {verify.ExitCode}: {verify.Stdout}{verify.Stderr}");
    }

    [KernelFact]
    public void Systemd_analyze_verify_catches_a_broken_unit()
    {
        // The same check on the same unit with a typo: proves the check above can fail.
        ProcessResult verify = InstalledRoot.Shell(
            $"sed 's/^ProtectSystem=/ProtectSystm=/' {UnitPath} > /etc/systemd/system/broken.service && systemd-analyze verify /etc/systemd/system/broken.service");
        Assert.Contains("ProtectSystm", verify.Stdout + verify.Stderr);
    }

    [Fact]
    public void The_unit_logs_to_the_journal_only_with_stdout_discarded_and_is_hardened()
    {
        Dictionary<string, string> unit = Unit();
        Assert.Equal("/usr/sbin/tcpstates -Y", unit["ExecStart"]);
        Assert.Equal("null", unit["StandardOutput"]);     // -Y still prints the rows on stdout: not into the journal twice
        Assert.Equal("journal", unit["StandardError"]);   // errors and "lost N events"
        Assert.Equal("CAP_BPF CAP_PERFMON", unit["CapabilityBoundingSet"]);
        Assert.Equal("CAP_BPF CAP_PERFMON", unit["AmbientCapabilities"]);
        Assert.Equal("yes", unit["NoNewPrivileges"]);
        Assert.Equal("strict", unit["ProtectSystem"]);
        Assert.Equal("yes", unit["ProtectHome"]);
        Assert.Equal("yes", unit["PrivateTmp"]);
        Assert.Equal("yes", unit["ProtectKernelTunables"]);
        Assert.Equal("sys-kernel-tracing.mount", unit["Wants"]);
    }

    [KernelFact]
    public void The_installed_tool_traces_with_only_the_unit_s_capabilities_on_a_read_only_system()
    {
        Dictionary<string, string> unit = Unit();
        using var listener = Traffic.Listen(IPAddress.Loopback);
        int port = Traffic.PortOf(listener);
        // ExecStart's own flags but -Y (the journal is another test's): CSV on stdout, this test's port only.
        using RunningCommand run = StartAsService(unit, unit["CapabilityBoundingSet"], "-s", "-L", port.ToString());
        run.WaitForLines(l => l.Count >= 1, TimeSpan.FromSeconds(60), "the header");
        Assert.StartsWith("SKADDR,C-PID,C-COMM,IP,LADDR,LPORT,RADDR,RPORT,OLDSTATE,NEWSTATE,MS", run.Lines[0]);
        Traffic.Connection(listener, new IPEndPoint(IPAddress.Loopback, port), TimeSpan.FromMilliseconds(10));
        // The server side of the connection, by its local port: SYN_RECV -> ESTABLISHED ... LAST_ACK -> CLOSE.
        run.WaitForLines(l => l.Any(x => x.Contains(",LAST_ACK,CLOSE,", StringComparison.Ordinal)), TimeSpan.FromSeconds(15), "the server's LAST_ACK -> CLOSE");
        Assert.Equal(0, run.Stop(SignalOf(unit["KillSignal"])));

        string[] rows = run.Lines.Skip(1).Where(l => l.Contains($",127.0.0.1,{port},", StringComparison.Ordinal)).ToArray();
        Assert.Contains(rows, r => r.Contains(",SYN_RECV,ESTABLISHED,", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Contains(",LAST_ACK,CLOSE,", StringComparison.Ordinal));
        string[] stderr = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(stderr, l => l.StartsWith("tcpstates: debug: attached: ", StringComparison.Ordinal));
        Assert.All(stderr, l => Assert.StartsWith("tcpstates: debug: ", l));
        // With tracefs mounted (as the unit's Wants=sys-kernel-tracing.mount makes sure), the tool needs no
        // CAP_SYS_ADMIN for the count of the tracepoint's hits.
        if (Directory.Exists("/sys/kernel/tracing/events"))
            Assert.DoesNotContain(stderr, l => l.Contains("no count of the tracepoint's hits", StringComparison.Ordinal));
    }

    [KernelFact]
    public void A_real_systemd_runs_the_unit_which_logs_each_change_to_the_journal_and_not_stdout_and_stops_cleanly()
    {
        int port = Traffic.FreePort(IPAddress.Loopback);
        (string log, string[] journal) = BootedService.Run(port);
        Assert.Contains("active=active", log);
        Assert.Contains("Result=success", log);
        Assert.Contains("ExecMainStatus=0", log);   // SIGTERM (KillSignal=) ends it with 0
        Assert.Contains("NRestarts=0", log);

        var entries = journal.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        string? Field(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        // The refused connection, from the tool's own journal entries (journald's native protocol).
        List<JsonElement> events = entries.Where(e => Field(e, "OBJECT_TCP_DESTINATION_PORT") == port.ToString()).ToList();
        Assert.Equal(["CLOSE→SYN_SENT", "SYN_SENT→CLOSE"],
            events.Select(e => Field(e, "OBJECT_TCP_OLD_STATE") + "→" + Field(e, "OBJECT_TCP_NEW_STATE")).ToArray());
        Assert.All(events, e => Assert.Equal("journal", Field(e, "_TRANSPORT")));
        Assert.All(events, e => Assert.Equal("tcpstates.service", Field(e, "_SYSTEMD_UNIT")));
        // The output/stream entries (stderr) are the debug lines only: the rows -Y also prints went to /dev/null.
        List<string> stream = entries.Where(e => Field(e, "_TRANSPORT") == "stdout").Select(e => Field(e, "MESSAGE") ?? "").ToList();
        Assert.Contains(stream, m => m.StartsWith("tcpstates: debug: attached: ", StringComparison.Ordinal));
        Assert.All(stream, m => Assert.StartsWith("tcpstates: debug: ", m));
        // With tracefs mounted by the system (as the unit's Wants= asks), the unit's capabilities are enough for the
        // kernel's count of the tracepoint's hits too: no CAP_SYS_ADMIN.
        Assert.Contains(stream, m => m.StartsWith("tcpstates: debug: events lost: ", StringComparison.Ordinal));
        Assert.DoesNotContain(stream, m => m.Contains("no count of the tracepoint's hits", StringComparison.Ordinal));
        // The read loop's priority comes from the unit (Nice=): the service has no CAP_SYS_NICE to set it itself.
        Assert.Contains("tcpstates: debug: read loop at nice -5, as started", stream);
    }

    [KernelFact]
    public void Without_CAP_BPF_the_same_sandbox_fails_at_start()
    {
        // Proves the sandbox of the test above really drops capabilities.
        using RunningCommand run = StartAsService(Unit(), "CAP_PERFMON", "-s");
        Assert.Equal(1, run.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("EPERM", run.Stderr);
    }

    private static RunningCommand StartAsService(Dictionary<string, string> unit, string capabilities, params string[] flags)
    {
        Assert.Equal("yes", unit["NoNewPrivileges"]);
        string caps = "-all," + string.Join(',', capabilities.Split(' ').Select(c => "+" + c["CAP_".Length..].ToLowerInvariant()));
        string[] exec = unit["ExecStart"].Split(' ');
        var psi = InstalledRoot.StartInfo(readOnly: true,
            ["setpriv", "--no-new-privs", "--bounding-set=" + caps, "--inh-caps=" + caps, "--ambient-caps=" + caps, exec[0], .. flags]);
        psi.Environment["TCPSTATES_DEBUG"] = "1";
        return new RunningCommand(psi);
    }

    private static int SignalOf(string name) => name switch
    {
        "SIGTERM" => Host.SIGTERM,
        "SIGINT" => Host.SIGINT,
        _ => throw new ArgumentException("unexpected KillSignal " + name),
    };

    /// <summary>The unit's Key=value lines (comments and sections dropped; a repeated key keeps its last value).</summary>
    private static Dictionary<string, string> Unit()
    {
        string path = Path.Combine(PublishedTool.RepoRoot(), "packaging", "tcpstates.service");
        var unit = new Dictionary<string, string>();
        foreach (string line in File.ReadAllLines(path))
        {
            if (line.Length == 0 || line[0] is '#' or '[') continue;
            string[] pair = line.Split('=', 2);
            unit[pair[0]] = pair[1];
        }
        return unit;
    }
}
