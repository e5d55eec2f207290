using System.Net.Sockets;
using System.Text;
using TcpStates.Output;

namespace TcpStates.Tests.Output;

public sealed class JournalWriterTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"tcpstates-journal-{Guid.NewGuid():N}.sock");
    private readonly Socket _journal = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public JournalWriterTests() => _journal.Bind(new UnixDomainSocketEndPoint(_path));

    public void Dispose()
    {
        _journal.Dispose();
        File.Delete(_path);
    }

    [Fact]
    public void An_IPv4_event_is_one_datagram_of_the_original_fields()
    {
        TcpStateEvent e = EventFactory.Create("10.0.0.1", 40000, "10.0.0.2", 80, "curl"u8.ToArray(), pid: 1234,
            oldState: 7, newState: 2, deltaUs: 1500);
        byte[] expected = Encoding.UTF8.GetBytes(
            "MESSAGE=curl 10.0.0.1 40000 → 10.0.0.2 80 CLOSE → SYN_SENT\n" +
            "SYSLOG_IDENTIFIER=tcpstates\n" +
            "PRIORITY=5\n" +
            "OBJECT_PID=1234\n" +
            "OBJECT_COMM=curl\n" +
            "OBJECT_IPV4_SOURCE_ADDRESS=10.0.0.1\n" +
            "OBJECT_TCP_SOURCE_PORT=40000\n" +
            "OBJECT_IPV4_DESTINATION_ADDRESS=10.0.0.2\n" +
            "OBJECT_TCP_DESTINATION_PORT=80\n" +
            "OBJECT_TCP_OLD_STATE=CLOSE\n" +
            "OBJECT_TCP_NEW_STATE=SYN_SENT\n" +
            "OBJECT_TCP_SPAN_TIME=1500\n");

        Assert.Equal(expected, SendAndReceive(e, includeCommand: true));
    }

    [Fact]
    public void As_root_OBJECT_COMM_is_left_to_journald_and_IPv6_fields_are_named_IPV6()
    {
        TcpStateEvent e = EventFactory.Create("2001:db8::1", 22, "::ffff:1.2.3.4", 50000, "sshd"u8.ToArray(), pid: 7,
            oldState: 1, newState: 99, deltaUs: 0);
        string text = Encoding.UTF8.GetString(SendAndReceive(e, includeCommand: false));
        Assert.Equal(
            "MESSAGE=sshd 2001:db8::1 22 → ::ffff:1.2.3.4 50000 ESTABLISHED → 99\n" +
            "SYSLOG_IDENTIFIER=tcpstates\n" +
            "PRIORITY=5\n" +
            "OBJECT_PID=7\n" +
            "OBJECT_IPV6_SOURCE_ADDRESS=2001:db8::1\n" +
            "OBJECT_TCP_SOURCE_PORT=22\n" +
            "OBJECT_IPV6_DESTINATION_ADDRESS=::ffff:1.2.3.4\n" +
            "OBJECT_TCP_DESTINATION_PORT=50000\n" +
            "OBJECT_TCP_OLD_STATE=ESTABLISHED\n" +
            "OBJECT_TCP_NEW_STATE=99\n" +
            "OBJECT_TCP_SPAN_TIME=0\n",
            text);
    }

    [Fact]
    public void A_value_with_a_newline_is_sent_in_the_binary_safe_form()
    {
        // Invalid UTF-8 becomes U+FFFD, as the original's decode('utf-8', 'replace').
        TcpStateEvent e = EventFactory.Create("10.0.0.1", 1, "10.0.0.2", 2, [(byte)'a', (byte)'\n', 0xff, (byte)'b'],
            pid: 5, oldState: 2, newState: 1, deltaUs: 9);
        byte[] comm = [(byte)'a', (byte)'\n', 0xef, 0xbf, 0xbd, (byte)'b'];
        byte[] message = [.. comm, .. Encoding.UTF8.GetBytes(" 10.0.0.1 1 → 10.0.0.2 2 SYN_SENT → ESTABLISHED")];
        byte[] expected =
        [
            .. Binary("MESSAGE", message),
            .. Encoding.UTF8.GetBytes("SYSLOG_IDENTIFIER=tcpstates\nPRIORITY=5\nOBJECT_PID=5\n"),
            .. Binary("OBJECT_COMM", comm),
            .. Encoding.UTF8.GetBytes(
                "OBJECT_IPV4_SOURCE_ADDRESS=10.0.0.1\nOBJECT_TCP_SOURCE_PORT=1\n" +
                "OBJECT_IPV4_DESTINATION_ADDRESS=10.0.0.2\nOBJECT_TCP_DESTINATION_PORT=2\n" +
                "OBJECT_TCP_OLD_STATE=SYN_SENT\nOBJECT_TCP_NEW_STATE=ESTABLISHED\nOBJECT_TCP_SPAN_TIME=9\n"),
        ];

        Assert.Equal(expected, SendAndReceive(e, includeCommand: true));
    }

    [Fact]
    public void Without_a_journal_socket_the_writer_cannot_be_created()
    {
        var e = Assert.Throws<JournalUnavailableException>(() => new JournalWriter(_path + ".missing", true));
        Assert.Equal($"cannot log to the systemd journal: it is not running (no socket at {_path}.missing)", e.Message);
    }

    [Fact]
    public void A_socket_nobody_listens_on_says_the_journal_is_not_running()
    {
        // A socket file nobody is bound to any more (as journald leaves it when it dies): ECONNREFUSED.
        string stale = _path + ".stale";
        using (var bound = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified))
        {
            bound.Bind(new UnixDomainSocketEndPoint(stale));
            File.Move(stale, stale + ".kept");   // moved away, so closing the socket does not remove it
        }
        try
        {
            var e = Assert.Throws<JournalUnavailableException>(() => new JournalWriter(stale + ".kept", true));
            Assert.Equal($"cannot log to the systemd journal: it is not running (nothing listens on {stale}.kept)", e.Message);
        }
        finally
        {
            File.Delete(stale + ".kept");
        }
    }

    [Fact]
    public void A_journal_that_does_not_read_makes_writes_fail_and_count_instead_of_block()
    {
        using var writer = new JournalWriter(_path, includeCommand: true);
        TcpStateEvent e = EventFactory.Create();
        // Far more than a datagram queue and the backlog hold: returns, never blocks.
        const int sent = 20_000;
        for (int i = 0; i < sent; i++)
            writer.Write(e);
        Assert.InRange(writer.FailedEntries, 1UL, (ulong)sent);
        Assert.InRange(writer.Backlogged, 1, sent);
        Assert.Equal(11, writer.LastError);   // EAGAIN
        writer.Drain(timeoutMs: 0);
        Assert.Equal(0, writer.Backlogged);
        int queued = 0;
        _journal.Blocking = false;
        byte[] buffer = new byte[4096];
        while (_journal.Available > 0 && _journal.Receive(buffer) > 0)
            queued++;
        Assert.Equal((ulong)sent, (ulong)queued + writer.FailedEntries);
    }

    [Fact]
    public void A_journal_that_pauses_loses_nothing_and_gets_every_entry_in_order()
    {
        using var writer = new JournalWriter(_path, includeCommand: true);
        // More entries than the socket's queue holds, written while the journal reads nothing.
        const int sent = 1_000;
        for (int i = 0; i < sent; i++)
            writer.Write(EventFactory.Create("10.0.0.1", (ushort)(1000 + i), "10.0.0.2", 80, "curl"u8.ToArray(), pid: 1,
                oldState: 7, newState: 2, deltaUs: 0));
        Assert.True(writer.Backlogged > 0, "the socket's queue took every entry: the pause was not a pause");
        // The journal reads again; the tool pumps on each batch and drains at exit.
        var received = new List<int>();
        byte[] buffer = new byte[4096];
        _journal.ReceiveTimeout = 2000;
        while (received.Count < sent)
        {
            writer.Pump();
            while (_journal.Available > 0)
            {
                string entry = Encoding.UTF8.GetString(buffer, 0, _journal.Receive(buffer));
                string port = entry.Split('\n').Single(l => l.StartsWith("OBJECT_TCP_SOURCE_PORT=", StringComparison.Ordinal));
                received.Add(int.Parse(port["OBJECT_TCP_SOURCE_PORT=".Length..], System.Globalization.CultureInfo.InvariantCulture));
            }
            if (writer.Backlogged == 0 && _journal.Available == 0) break;
        }
        writer.Drain(timeoutMs: 1000);
        Assert.Equal(0UL, writer.FailedEntries);
        Assert.Equal(Enumerable.Range(1000, sent), received);
    }

    /// <summary>NAME, newline, the length as 64-bit little-endian, the value, newline.</summary>
    private static byte[] Binary(string name, byte[] value) =>
        [.. Encoding.ASCII.GetBytes(name + "\n"), .. BitConverter.GetBytes((ulong)value.Length), .. value, (byte)'\n'];

    private byte[] SendAndReceive(TcpStateEvent e, bool includeCommand)
    {
        using var writer = new JournalWriter(_path, includeCommand);
        writer.Write(e);
        byte[] buffer = new byte[4096];
        int n = _journal.Receive(buffer);
        Assert.Equal(0UL, writer.FailedEntries);
        return buffer[..n];
    }
}
