using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Sockets = System.Net.Sockets;

namespace TcpStates.Tests.EndToEnd;

/// <summary>-Y against a real systemd-journald, read back with journalctl.</summary>
[Collection("tracer")]
public sealed class JournalEndToEndTests
{
    private const string Socket = "/run/systemd/journal/socket";

    [KernelFact]
    public void Every_event_reaches_the_journal_with_its_fields()
    {
        EnsureJournald();
        using TracerRun run = TracerRun.Start("-Y", "-s");
        int port;
        using (var listener = Traffic.Listen(IPAddress.Loopback))
        {
            port = Traffic.PortOf(listener);
            Traffic.Connection(listener, new IPEndPoint(IPAddress.Loopback, port), TimeSpan.FromMilliseconds(20));
        }
        run.WaitForLines(l => l.Count(x => x.Contains($",{port},", StringComparison.Ordinal)) >= 12, TimeSpan.FromSeconds(15), "12 rows");
        Assert.Equal(0, run.Stop());

        List<JsonElement> entries = null!;
        // journald writes asynchronously: poll briefly until all twelve entries are readable.
        for (int attempt = 0; attempt < 50; attempt++)
        {
            entries = Journal().Where(e => Field(e, "OBJECT_TCP_SOURCE_PORT") == port.ToString() ||
                                           Field(e, "OBJECT_TCP_DESTINATION_PORT") == port.ToString()).ToList();
            if (entries.Count >= 12) break;
            Thread.Sleep(100);
        }
        Assert.Equal(12, entries.Count);
        foreach (JsonElement e in entries)
        {
            Assert.Equal("tcpstates", Field(e, "SYSLOG_IDENTIFIER"));
            Assert.Equal("5", Field(e, "PRIORITY"));
            Assert.Equal("127.0.0.1", Field(e, "OBJECT_IPV4_SOURCE_ADDRESS"));
            bool listener = Field(e, "OBJECT_TCP_OLD_STATE") == "LISTEN" && Field(e, "OBJECT_TCP_NEW_STATE") == "CLOSE" ||
                            Field(e, "OBJECT_TCP_NEW_STATE") == "LISTEN";
            Assert.Equal(listener ? "0.0.0.0" : "127.0.0.1", Field(e, "OBJECT_IPV4_DESTINATION_ADDRESS"));
            Assert.Null(Field(e, "OBJECT_IPV6_SOURCE_ADDRESS"));
            Assert.Matches(@"^\d+$", Field(e, "OBJECT_PID")!);
            Assert.Matches(@"^\d+$", Field(e, "OBJECT_TCP_SPAN_TIME")!);
            string message = Field(e, "MESSAGE")!;
            Assert.Contains($" → ", message);
            Assert.EndsWith($"{Field(e, "OBJECT_TCP_OLD_STATE")} → {Field(e, "OBJECT_TCP_NEW_STATE")}", message);
        }
        var transitions = entries.Select(e => $"{Field(e, "OBJECT_TCP_OLD_STATE")}->{Field(e, "OBJECT_TCP_NEW_STATE")}").ToList();
        Assert.Contains("CLOSE->LISTEN", transitions);
        Assert.Contains("SYN_SENT->ESTABLISHED", transitions);
        Assert.Contains("LAST_ACK->CLOSE", transitions);
        // The client's ESTABLISHED time is real microseconds.
        JsonElement est = entries.Single(e => Field(e, "OBJECT_TCP_OLD_STATE") == "ESTABLISHED" && Field(e, "OBJECT_TCP_NEW_STATE") == "FIN_WAIT1");
        Assert.InRange(long.Parse(Field(est, "OBJECT_TCP_SPAN_TIME")!), 20_000, 10_000_000);
    }

    [KernelFact]
    public void Without_a_journal_socket_the_tool_says_so_and_fails_at_start()
    {
        // A private mount namespace hides the journal's socket from the tool alone.
        var psi = new ProcessStartInfo("unshare", $"-m sh -c \"mount -t tmpfs none /run && exec {PublishedTool.Path} -Y\"")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000));
        Assert.NotEqual(0, p.ExitCode);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("tcpstates: ", line);
        Assert.Contains("journal", line, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("SKADDR", stdout.Result);
    }

    private static string? Field(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    internal static List<JsonElement> Journal()
    {
        var psi = new ProcessStartInfo("journalctl", "-t tcpstates -o json --no-pager --since -10min")
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    /// <summary>
    /// Debian's journald runs standalone where no journal runs (as in CI): start one if none answers.
    /// The socket file alone proves nothing: a journald that died (or a machine image taken while one ran)
    /// leaves it behind, and sending to it is refused.
    /// </summary>
    internal static void EnsureJournald()
    {
        if (JournaldAnswers()) return;
        // Detached, with no pipe of ours, so the test host never waits on it. journald replaces a stale socket.
        var psi = new ProcessStartInfo("setsid", "sh -c \"/lib/systemd/systemd-journald </dev/null >/dev/null 2>&1 &\"");
        using (Process p = Process.Start(psi)!) p.WaitForExit();
        for (int i = 0; i < 100 && !JournaldAnswers(); i++) Thread.Sleep(50);
        Assert.True(JournaldAnswers(), "systemd-journald did not start listening on " + Socket);
    }

    private static bool JournaldAnswers()
    {
        if (!File.Exists(Socket)) return false;
        using var s = new Sockets.Socket(Sockets.AddressFamily.Unix, Sockets.SocketType.Dgram, Sockets.ProtocolType.Unspecified);
        try { s.Connect(new Sockets.UnixDomainSocketEndPoint(Socket)); return true; }
        catch (Sockets.SocketException) { return false; }
    }
}
