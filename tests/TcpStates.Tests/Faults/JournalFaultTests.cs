using System.Net;
using System.Net.Sockets;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>-Y with a journal that stops reading, or that is not there.</summary>
[Collection("tracer")]
public sealed class JournalFaultTests
{
    [KernelFact]
    public void A_journal_that_stops_reading_neither_stalls_the_events_nor_SIGINT_and_its_losses_are_reported()
    {
        using var leftovers = ToolLeftovers.Watch();
        // A datagram socket of our own in the journal's place, never read: its queue is soon full.
        string path = Path.Combine(Path.GetTempPath(), $"tcpstates-journal-{Guid.NewGuid():N}.sock");
        using var journal = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        journal.Bind(new UnixDomainSocketEndPoint(path));
        using TracerRun run = TracerRun.Start(new Dictionary<string, string> { ["TCPSTATES_JOURNAL_SOCKET"] = path }, "-Y", "-s");

        const int connections = 300;
        int port = Traffic.Churn(IPAddress.Loopback, connections, clients: 2);
        // Every change of the churn is printed (12 per connection with the listener's own 2, as Traffic.Churn says),
        // so the read loop went on while the journal took nothing.
        int expected = connections * 10 + 2;
        run.WaitForLines(l => l.Count(x => x.Contains($",{port},", StringComparison.Ordinal)) >= expected,
            TimeSpan.FromSeconds(60), $"{expected} rows of port {port}");

        Assert.Equal(0, run.Stop(Host.SIGINT));
        Assert.Matches(@"(^|\n)lost \d+ events to the journal: it is not reading its socket\n", run.Stderr);
    }

    [KernelFact]
    public void A_missing_journal_socket_says_the_journal_is_not_running()
    {
        using var leftovers = ToolLeftovers.Watch(requireObjects: false);
        string path = Path.Combine(Path.GetTempPath(), $"tcpstates-no-journal-{Guid.NewGuid():N}.sock");
        (int code, string stdout, string stderr) = ToolScript.Run("exec \"$BIN\" -Y",
            environment: new Dictionary<string, string> { ["TCPSTATES_JOURNAL_SOCKET"] = path });
        Assert.Equal($"tcpstates: cannot log to the systemd journal: it is not running (no socket at {path})",
            Assert.Single(ToolScript.Lines(stderr)));
        Assert.Equal("", stdout);
        Assert.Equal(1, code);
    }
}
