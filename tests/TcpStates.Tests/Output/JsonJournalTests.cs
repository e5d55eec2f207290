using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using TcpStates.Containers;
using TcpStates.Output;

namespace TcpStates.Tests.Output;

/// <summary>-j with -Y: each journal entry's MESSAGE is the JSON line; the other fields stay the original's.</summary>
public sealed class JsonJournalTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"tcpstates-jjournal-{Guid.NewGuid():N}.sock");
    private readonly Socket _journal = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public JsonJournalTests() => _journal.Bind(new UnixDomainSocketEndPoint(_path));

    public void Dispose()
    {
        _journal.Dispose();
        File.Delete(_path);
    }

    [Fact]
    public void The_message_is_the_json_line_and_the_fields_are_unchanged()
    {
        var cgroups = new CgroupPaths(null);
        cgroups.Remember(77, "/system.slice/x.service");
        TcpStateEvent e = EventFactory.Create("10.0.0.1", 40000, "10.0.0.2", 80, "cu\nrl"u8.ToArray(), pid: 1234,
            oldState: 7, newState: 2, deltaUs: 1500, netns: 4026531999, cgroupId: 77);
        var stdout = new MemoryStream();
        using var journal = new JournalWriter(_path, includeCommand: false);
        var printer = new EventPrinter(stdout, OutputFormat.Columns, time: false, timestamp: false, TimeProvider.System)
        {
            Json = new JsonEventFormatter(time: false, timestamp: false, TimeProvider.System, cgroups),
        };
        var output = new EventOutput(printer, journal, TextWriter.Null)
        {
            JournalJson = new JsonEventFormatter(time: false, timestamp: false, TimeProvider.System, cgroups),
        };

        output.OnEvent(EventFactory.ToBytes(e));
        output.Flush();
        byte[] datagram = new byte[65536];
        int length = _journal.Receive(datagram);
        string entry = Encoding.UTF8.GetString(datagram, 0, length);

        string stdoutLine = Encoding.UTF8.GetString(stdout.ToArray());
        string[] fields = entry.TrimEnd('\n').Split('\n');
        Assert.Equal("MESSAGE=" + stdoutLine.TrimEnd('\n'), fields[0]);
        using JsonDocument doc = JsonDocument.Parse(fields[0]["MESSAGE=".Length..]);
        Assert.Equal("cu\\x0arl", doc.RootElement.GetProperty("comm").GetString());
        Assert.Equal("/system.slice/x.service", doc.RootElement.GetProperty("cgroup").GetString());
        Assert.Equal(4026531999U, doc.RootElement.GetProperty("netns").GetUInt32());
        Assert.Equal(
            ["SYSLOG_IDENTIFIER=tcpstates", "PRIORITY=5", "OBJECT_PID=1234", "OBJECT_IPV4_SOURCE_ADDRESS=10.0.0.1",
             "OBJECT_TCP_SOURCE_PORT=40000", "OBJECT_IPV4_DESTINATION_ADDRESS=10.0.0.2", "OBJECT_TCP_DESTINATION_PORT=80",
             "OBJECT_TCP_OLD_STATE=CLOSE", "OBJECT_TCP_NEW_STATE=SYN_SENT", "OBJECT_TCP_SPAN_TIME=1500"],
            fields[1..]);
    }
}
