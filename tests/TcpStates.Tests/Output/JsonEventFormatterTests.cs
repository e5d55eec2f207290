using System.Text;
using System.Text.Json;
using TcpStates.Containers;
using TcpStates.Output;

namespace TcpStates.Tests.Output;

public class JsonEventFormatterTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 15, 4, 5, 123, 456, TimeSpan.Zero);

    private static readonly string[] Keys =
        ["ts_ns", "skaddr", "pid", "comm", "family", "laddr", "lport", "raddr", "rport", "oldstate", "newstate", "ms", "netns", "cgroup_id", "cgroup"];

    /// <summary>Names a process can give itself, and the comm each must arrive as once the JSON is parsed.</summary>
    public static TheoryData<byte[], string> HostileNames() => new()
    {
        { "\u001b[2J\u001b[31mred"u8.ToArray(), "\\x1b[2J\\x1b[31mred" },
        { "x\ny\r"u8.ToArray(), "x\\x0ay\\x0d" },
        { "a\",\"pid\":1"u8.ToArray(), "a\",\"pid\":1" },
        { "a\\b\\"u8.ToArray(), "a\\\\b\\\\" },
        { new byte[] { 0xff, (byte)'A', 0xc3 }, "\\xffA\\xc3" },
        { "\u202eevil\u2066x"u8.ToArray(), "\\xe2\\x80\\xaeevil\\xe2\\x81\\xa6x" },   // bidi controls escaped as the text column does
        { "a\u2028b\u0085c"u8.ToArray(), "a\\xe2\\x80\\xa8b\\xc2\\x85c" },
        { "}\n{\"x\":1"u8.ToArray(), "}\\x0a{\"x\":1" },
        { "日本\u0000tail"u8.ToArray(), "日本" },
        { "abcdefghijklmnop"u8.ToArray(), "abcdefghijklmnop" },
    };

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void A_hostile_command_name_stays_one_line_and_one_field(byte[] comm, string expected)
    {
        CgroupPaths cgroups = new(null);
        var formatter = new JsonEventFormatter(time: false, timestamp: false, TimeProvider.System, cgroups);
        TcpStateEvent e = EventFactory.Create("10.1.2.3", 443, "10.9.8.7", 51000, comm, pid: 4242, oldState: 1, newState: 4,
            deltaUs: 1373, netns: 4026532001, cgroupId: 77);

        string line = Encoding.UTF8.GetString(formatter.Format(e));

        Assert.EndsWith("\n", line);
        Assert.DoesNotContain('\n', line[..^1]);
        Assert.DoesNotContain('\r', line);
        // Nothing outside printable ASCII reaches the output raw: not ESC, not a bidi override, not U+2028.
        Assert.All(line[..^1], c => Assert.InRange(c, ' ', '~'));
        using JsonDocument doc = JsonDocument.Parse(line);
        JsonElement o = doc.RootElement;
        Assert.Equal(Keys, o.EnumerateObject().Select(p => p.Name));
        Assert.Equal(expected, o.GetProperty("comm").GetString());
        Assert.Equal(4242, o.GetProperty("pid").GetInt32());
        Assert.Equal(JsonValueKind.Null, o.GetProperty("cgroup").ValueKind);
    }

    [Fact]
    public void Every_field_has_its_documented_name_type_and_value()
    {
        CgroupPaths cgroups = new(null);
        cgroups.Remember(77, "/system.slice/nginx.service");
        var formatter = new JsonEventFormatter(time: false, timestamp: false, TimeProvider.System, cgroups);
        TcpStateEvent e = EventFactory.Create("2001:db8::1", 443, "::ffff:1.2.3.4", 51000, "nginx"u8.ToArray(), pid: 22384,
            oldState: 1, newState: 4, deltaUs: 176042, timestampUs: 1_234_567, skaddr: 0xffff9fd7e8192000, netns: 4026532001, cgroupId: 77);
        e.TimestampNs += 891;

        using JsonDocument doc = JsonDocument.Parse(formatter.Format(e).ToArray());
        JsonElement o = doc.RootElement;

        Assert.Equal(Keys, o.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1_234_567_891UL, o.GetProperty("ts_ns").GetUInt64());
        Assert.Equal("ffff9fd7e8192000", o.GetProperty("skaddr").GetString());
        Assert.Equal(22384, o.GetProperty("pid").GetInt32());
        Assert.Equal("nginx", o.GetProperty("comm").GetString());
        Assert.Equal(6, o.GetProperty("family").GetInt32());
        Assert.Equal("2001:db8::1", o.GetProperty("laddr").GetString());
        Assert.Equal(443, o.GetProperty("lport").GetInt32());
        Assert.Equal("::ffff:1.2.3.4", o.GetProperty("raddr").GetString());
        Assert.Equal(51000, o.GetProperty("rport").GetInt32());
        Assert.Equal("ESTABLISHED", o.GetProperty("oldstate").GetString());
        Assert.Equal("FIN_WAIT1", o.GetProperty("newstate").GetString());
        Assert.Equal(JsonValueKind.Number, o.GetProperty("ms").ValueKind);
        Assert.Equal("176.042", o.GetProperty("ms").GetRawText());
        Assert.Equal(4026532001U, o.GetProperty("netns").GetUInt32());
        Assert.Equal(77UL, o.GetProperty("cgroup_id").GetUInt64());
        Assert.Equal("/system.slice/nginx.service", o.GetProperty("cgroup").GetString());
    }

    [Fact]
    public void Time_and_timestamp_keys_follow_ts_ns_with_T_and_t()
    {
        var formatter = new JsonEventFormatter(time: true, timestamp: true, new TestClock(Now), new CgroupPaths(null));
        string[] lines =
        [
            Encoding.UTF8.GetString(formatter.Format(EventFactory.Create(timestampUs: 5_000_000))),
            Encoding.UTF8.GetString(formatter.Format(EventFactory.Create(timestampUs: 6_500_001))),
            Encoding.UTF8.GetString(formatter.Format(EventFactory.Create(timestampUs: 4_000_000))),
        ];

        string[] expectedKeys = ["ts_ns", "time", "ts", .. Keys[1..]];
        string[] seconds = ["0.000000", "1.500001", "-1.000000"];
        for (int i = 0; i < lines.Length; i++)
        {
            using JsonDocument doc = JsonDocument.Parse(lines[i]);
            JsonElement o = doc.RootElement;
            Assert.Equal(expectedKeys, o.EnumerateObject().Select(p => p.Name));
            Assert.Equal("2026-12-01T15:04:05.123456+00:00", o.GetProperty("time").GetString());
            Assert.Equal(seconds[i], o.GetProperty("ts").GetRawText());
        }
    }

    [Fact]
    public void A_cgroup_path_with_controls_and_quotes_is_escaped_whole()
    {
        CgroupPaths cgroups = new(null);
        string hostile = "/k8s/pod\"x\n\u001b[31m\u202e" + new string('d', 3000);
        cgroups.Remember(9, hostile);
        var formatter = new JsonEventFormatter(time: false, timestamp: false, TimeProvider.System, cgroups);

        string line = Encoding.UTF8.GetString(formatter.Format(EventFactory.Create(cgroupId: 9)));

        Assert.DoesNotContain('\n', line[..^1]);
        Assert.All(line[..^1], c => Assert.InRange(c, ' ', '~'));
        using JsonDocument doc = JsonDocument.Parse(line);
        Assert.Equal(hostile, doc.RootElement.GetProperty("cgroup").GetString());
    }

    [Fact]
    public void The_printer_writes_no_header_and_one_parsable_line_per_event()
    {
        var output = new MemoryStream();
        var printer = new EventPrinter(output, OutputFormat.Columns, time: false, timestamp: false, TimeProvider.System)
        {
            Json = new JsonEventFormatter(time: false, timestamp: false, TimeProvider.System, new CgroupPaths(null)),
        };
        printer.WriteHeader();
        for (int i = 0; i < 2000; i++)   // more than the printer's buffer holds: lines are never split
            printer.Write(EventFactory.Create(comm: "a\nb"u8.ToArray(), sport: (ushort)(i + 1)));
        printer.Flush();

        string[] lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n');
        Assert.Equal("", lines[^1]);
        Assert.Equal(2000, lines.Length - 1);
        for (int i = 0; i < 2000; i++)
        {
            using JsonDocument doc = JsonDocument.Parse(lines[i]);
            Assert.Equal(i + 1, doc.RootElement.GetProperty("lport").GetInt32());
        }
    }
}
