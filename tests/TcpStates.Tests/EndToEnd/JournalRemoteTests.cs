using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using TcpStates.Output;
using TcpStates.Tests.Output;
using TcpStates.Tests.Packaging;

namespace TcpStates.Tests.EndToEnd;

/// <summary>
/// Off the host: tcpstates -Y writes to the local journal, Debian's systemd-journal-upload sends the journal's new
/// entries over HTTP on loopback to systemd-journal-remote, which writes them into a journal directory this test
/// owns. Every event the tool printed for this test's connections must arrive there with every field the tool
/// wrote, unchanged.
/// </summary>
[Collection("tracer")]
public sealed class JournalRemoteTests
{
    private const string JournalSocket = "/run/systemd/journal/socket";
    private const string Remote = "/lib/systemd/systemd-journal-remote";
    private const string Upload = "/lib/systemd/systemd-journal-upload";

    /// <summary>
    /// The fields <see cref="JournalWriter"/> writes. Not OBJECT_COMM: the tool sends it only when not root, and for a
    /// root sender journald adds OBJECT_COMM (and the other OBJECT_* of OBJECT_PID) itself, from /proc.
    /// </summary>
    private static readonly string[] ToolFields =
    [
        "MESSAGE", "SYSLOG_IDENTIFIER", "PRIORITY", "OBJECT_PID",
        "OBJECT_IPV4_SOURCE_ADDRESS", "OBJECT_IPV4_DESTINATION_ADDRESS", "OBJECT_IPV6_SOURCE_ADDRESS", "OBJECT_IPV6_DESTINATION_ADDRESS",
        "OBJECT_TCP_SOURCE_PORT", "OBJECT_TCP_DESTINATION_PORT", "OBJECT_TCP_OLD_STATE", "OBJECT_TCP_NEW_STATE", "OBJECT_TCP_SPAN_TIME",
    ];

    [KernelFact]
    public void Every_event_reaches_a_remote_journal_through_journal_upload_with_its_fields_intact()
    {
        Assert.True(File.Exists(Remote) && File.Exists(Upload), "systemd-journal-remote is not installed (apt-get install systemd-journal-remote)");
        EnsureJournald();
        using var remoteDir = new TempDirectory("tcpstates-remote-");
        string cursor = JournalCursor();
        long startedUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        int httpPort = Traffic.FreePort(IPAddress.Loopback);
        using var remote = new RunningCommand(new ProcessStartInfo(Remote)
        {
            ArgumentList = { $"--listen-http=127.0.0.1:{httpPort}", $"--output={remoteDir.Path}/" },
        });
        WaitUntilListening(httpPort, remote);
        using var upload = new RunningCommand(new ProcessStartInfo(Upload)
        {
            ArgumentList = { $"--url=http://127.0.0.1:{httpPort}", "--after-cursor=" + cursor, $"--save-state={remoteDir.Path}/upload-state" },
        });

        // The tool, and this test's known connections: IPv4 with the client closing first, IPv6 with the server first.
        // Started here, not with TracerRun, for its PID: other tcpstates -Y on this host log the same connections.
        using var run = new RunningCommand(new ProcessStartInfo(PublishedTool.Path) { ArgumentList = { "-Y", "-s" } });
        run.WaitForLines(l => l.Count >= 1, TimeSpan.FromSeconds(30), "the header");
        string pid = "_PID=" + run.Id.ToString(CultureInfo.InvariantCulture);   // with the start time: PIDs are reused
        var ports = new List<int>();
        foreach ((IPAddress address, bool clientFirst) in new[] { (IPAddress.Loopback, true), (IPAddress.IPv6Loopback, false) })
        {
            using Socket listener = Traffic.Listen(address);
            int port = Traffic.PortOf(listener);
            ports.Add(port);
            Traffic.Connection(listener, new IPEndPoint(address, port), TimeSpan.FromMilliseconds(20), clientFirst);
        }
        bool Ours(OutputRecord r) => ports.Contains(r.LocalPort) || ports.Contains(r.RemotePort);
        // Each listener's LISTEN -> CLOSE comes last.
        run.WaitForLines(l => l.Skip(1).Select(Parse).Count(r => Ours(r) && r.OldState == "LISTEN" && r.NewState == "CLOSE") == 2,
            TimeSpan.FromSeconds(15), "both listeners' LISTEN -> CLOSE");
        Assert.Equal(0, run.Stop(Host.SIGINT));
        Assert.DoesNotContain("lost", run.Stderr);

        // What the tool printed is what it sent to the journal: the expected entries.
        List<Dictionary<string, string>> expected = run.Lines.Skip(1).Select(Parse).Where(Ours).Select(ExpectedFields).ToList();
        foreach (int port in ports)
            Assert.True(expected.Count(e => e.ContainsValue(port.ToString(CultureInfo.InvariantCulture))) >= 10, $"port {port}: too few events\n{string.Join('\n', run.Lines)}");

        // journald and then the upload work asynchronously: wait, bounded, until every entry made it across.
        List<Dictionary<string, string>> local = [], arrived = [];
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until)
        {
            // Not --after-cursor: with matches, journalctl skips the first matching entry when the cursor's entry does not match.
            local = Entries([pid], ports).Where(e => long.Parse(e["__REALTIME_TIMESTAMP"], CultureInfo.InvariantCulture) >= startedUs).ToList();
            arrived = Entries(["--directory=" + remoteDir.Path, pid], ports);
            if (arrived.Count >= expected.Count && local.Count >= expected.Count) break;
            Thread.Sleep(200);
        }
        Assert.True(arrived.Count == expected.Count,
            $"{expected.Count} events printed, {local.Count} in the local journal, {arrived.Count} in the remote one\nupload: {upload.Stderr}\nremote: {remote.Stderr}");

        // Every event, as a multiset: the tool's fields as its output shows them, in the local journal and the remote one;
        // and the remote entries are the local ones, with every field journald added too (all but the local cursor).
        SameEntries(expected, local.Select(ToolFieldsOf).ToList(), "printed", "local journal");
        SameEntries(expected, arrived.Select(ToolFieldsOf).ToList(), "printed", "remote journal");
        SameEntries(local.Select(WithoutCursor).ToList(), arrived.Select(WithoutCursor).ToList(), "local journal", "remote journal");

        upload.Stop(Host.SIGTERM);
        remote.Stop(Host.SIGTERM);
    }

    private static OutputRecord Parse(string line) => OutputLineParser.Parse(line, OutputFormat.Csv, time: false, timestamp: false);

    /// <summary>The journal fields <see cref="JournalWriter"/> writes for the event a CSV row shows.</summary>
    private static Dictionary<string, string> ExpectedFields(OutputRecord r)
    {
        string family = r.IpVersion == 6 ? "IPV6" : "IPV4";
        string lport = r.LocalPort.ToString(CultureInfo.InvariantCulture), rport = r.RemotePort.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string>
        {
            ["MESSAGE"] = $"{r.Command} {r.LocalAddress} {lport} → {r.RemoteAddress} {rport} {r.OldState} → {r.NewState}",
            ["SYSLOG_IDENTIFIER"] = "tcpstates",
            ["PRIORITY"] = "5",
            ["OBJECT_PID"] = r.Pid.ToString(CultureInfo.InvariantCulture),
            [$"OBJECT_{family}_SOURCE_ADDRESS"] = r.LocalAddress,
            [$"OBJECT_{family}_DESTINATION_ADDRESS"] = r.RemoteAddress,
            ["OBJECT_TCP_SOURCE_PORT"] = lport,
            ["OBJECT_TCP_DESTINATION_PORT"] = rport,
            ["OBJECT_TCP_OLD_STATE"] = r.OldState,
            ["OBJECT_TCP_NEW_STATE"] = r.NewState,
            // MS is the microseconds over 1000 with 3 decimals: the same number.
            ["OBJECT_TCP_SPAN_TIME"] = ((long)Math.Round(r.Milliseconds * 1000)).ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>tcpstates entries of this test's ports, read with journalctl -o json (with matches): all their fields.</summary>
    private static List<Dictionary<string, string>> Entries(string[] where, List<int> ports)
    {
        ProcessResult result = ProcessResult.Run("journalctl", [.. where, "-o", "json", "--no-pager", "SYSLOG_IDENTIFIER=tcpstates"], TimeSpan.FromMinutes(1));
        var entries = new List<Dictionary<string, string>>();
        foreach (string line in result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            var fields = new Dictionary<string, string>();
            foreach (JsonProperty field in doc.RootElement.EnumerateObject())
                // A field that is not valid UTF-8 comes as an array of bytes: it must not, so it fails the comparison.
                fields[field.Name] = field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString()! : field.Value.GetRawText();
            if (ports.Any(p => fields.GetValueOrDefault("OBJECT_TCP_SOURCE_PORT") == p.ToString(CultureInfo.InvariantCulture) ||
                               fields.GetValueOrDefault("OBJECT_TCP_DESTINATION_PORT") == p.ToString(CultureInfo.InvariantCulture)))
                entries.Add(fields);
        }
        return entries;
    }

    private static Dictionary<string, string> ToolFieldsOf(Dictionary<string, string> entry) =>
        entry.Where(f => ToolFields.Contains(f.Key)).ToDictionary();

    private static Dictionary<string, string> WithoutCursor(Dictionary<string, string> entry) =>
        entry.Where(f => f.Key != "__CURSOR").ToDictionary();

    /// <summary>The same entries, as a multiset; else fails showing the entries only one side has.</summary>
    private static void SameEntries(List<Dictionary<string, string>> a, List<Dictionary<string, string>> b, string aName, string bName)
    {
        List<string> left = Canonical(a), right = Canonical(b);
        if (left.SequenceEqual(right)) return;
        List<string> onlyLeft = [.. left], onlyRight = [];
        foreach (string entry in right)
            if (!onlyLeft.Remove(entry)) onlyRight.Add(entry);
        throw new Xunit.Sdk.XunitException(
            $"{aName} ({left.Count}) and {bName} ({right.Count}) differ\nonly in {aName}:\n{string.Join("\n--\n", onlyLeft)}\nonly in {bName}:\n{string.Join("\n--\n", onlyRight)}");
    }

    private static List<string> Canonical(List<Dictionary<string, string>> entries) =>
        entries.Select(e => string.Join('\n', e.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value}")))
            .Order(StringComparer.Ordinal).ToList();

    private static string JournalCursor()
    {
        ProcessResult result = ProcessResult.Run("journalctl", ["-n", "0", "--show-cursor", "-q", "--no-pager"], TimeSpan.FromMinutes(1));
        string? line = (result.Stdout + result.Stderr).Split('\n').FirstOrDefault(l => l.StartsWith("-- cursor: ", StringComparison.Ordinal));
        Assert.True(line is not null, "journalctl gave no cursor: " + result.Stdout + result.Stderr);
        return line["-- cursor: ".Length..];
    }

    private static void WaitUntilListening(int port, RunningCommand remote)
    {
        for (int i = 0; i < 100; i++)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                probe.Connect(new IPEndPoint(IPAddress.Loopback, port));
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        throw new Xunit.Sdk.XunitException("systemd-journal-remote did not listen on port " + port + ": " + remote.Stderr);
    }

    /// <summary>As <see cref="JournalEndToEndTests"/>: start Debian's journald standalone where none answers (as in CI).</summary>
    private static void EnsureJournald()
    {
        if (JournaldAnswers()) return;
        using (Process p = Process.Start(new ProcessStartInfo("setsid", "sh -c \"/lib/systemd/systemd-journald </dev/null >/dev/null 2>&1 &\""))!)
            p.WaitForExit();
        for (int i = 0; i < 100 && !JournaldAnswers(); i++) Thread.Sleep(50);
        Assert.True(JournaldAnswers(), "systemd-journald did not start listening on " + JournalSocket);
    }

    private static bool JournaldAnswers()
    {
        if (!File.Exists(JournalSocket)) return false;
        using var s = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try { s.Connect(new UnixDomainSocketEndPoint(JournalSocket)); return true; }
        catch (SocketException) { return false; }
    }
}
