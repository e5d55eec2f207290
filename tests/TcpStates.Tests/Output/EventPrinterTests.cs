using System.Text;
using TcpStates.Output;

namespace TcpStates.Tests.Output;

public class EventPrinterTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 7, 5, 9, TimeSpan.Zero);

    /// <summary>An event, the name as it must be shown (escaped), and its addresses as inet_ntop prints them.</summary>
    public sealed record Case(TcpStateEvent Event, string ShownName, string Source, string Destination);

    private static readonly Case[] Cases =
    [
        Make("100.66.100.185", "52.33.159.26", "curl"u8.ToArray(), "curl", oldState: 7, newState: 2, deltaUs: 0),
        Make("2001:db8::1:0:0:1", "fe80::1", "sshd"u8.ToArray(), "sshd", oldState: 1, newState: 4, deltaUs: 176042),
        Make("::ffff:10.0.0.1", "::", "nginx"u8.ToArray(), "nginx", oldState: 10, newState: 3, deltaUs: 1373),
        Make("10.0.0.1", "10.0.0.2", "abcdefghijklmnop"u8.ToArray(), "abcdefghijklmnop", deltaUs: 62),
        Make("10.0.0.1", "10.0.0.2", "\u001b[2J\u001b[31mred"u8.ToArray(), "\\x1b[2J\\x1b[31mred"),
        Make("10.0.0.1", "10.0.0.2", "a,b\"c"u8.ToArray(), "a,b\"c"),
        Make("10.0.0.1", "10.0.0.2", "x\ny\r"u8.ToArray(), "x\\x0ay\\x0d"),
        Make("10.0.0.1", "10.0.0.2", [0xff, (byte)'A', 0xc3], "\\xffA\\xc3"),
        Make("10.0.0.1", "10.0.0.2", "ïü-日本語"u8.ToArray(), "ïü-日本語"),
        // The kernel cuts comm at 15 bytes, here inside a character: the stray bytes are escaped.
        Make("10.0.0.1", "10.0.0.2", "abcdefghijklm日"u8[..15].ToArray(), "abcdefghijklm\\xe6\\x97"),
        Make("10.0.0.1", "10.0.0.2", "a\\b"u8.ToArray(), "a\\\\b"),
        Make("10.0.0.1", "10.0.0.2", [(byte)'c', 0xc2, 0x9b, (byte)'1', 0x7f], "c\\xc2\\x9b1\\x7f"),
        // Bidi controls would make the rest of the line read backwards (U+202E), line separators break it.
        Make("10.0.0.1", "10.0.0.2", "a\u202Eb\u2066c\u200Fd"u8.ToArray(), "a\\xe2\\x80\\xaeb\\xe2\\x81\\xa6c\\xe2\\x80\\x8fd"),
        Make("10.0.0.1", "10.0.0.2", "x\u2028y\u2029\u061Cz"u8.ToArray(), "x\\xe2\\x80\\xa8y\\xe2\\x80\\xa9\\xd8\\x9cz"),
        Make("10.0.0.1", "10.0.0.2", "kworker/u8:2"u8.ToArray(), "kworker/u8:2", oldState: 0, newState: 13),
        Make("10.0.0.1", "10.0.0.2", "x"u8.ToArray(), "x", oldState: -1, newState: 12, sport: 0, dport: 65535, pid: 0),
        Make("::1", "::1", "swapper/5"u8.ToArray(), "swapper/5", sport: 65535, dport: 0, pid: uint.MaxValue,
            deltaUs: ulong.MaxValue),
        Make("1.2.3.4", "5.6.7.8", "late"u8.ToArray(), "late", timestampUs: 999_999, deltaUs: 281474976710656062),
        Make("1.2.3.4", "5.6.7.8", "later"u8.ToArray(), "later", timestampUs: 4_000_001_234_567, deltaUs: 5),
    ];

    private static Case Make(string source, string destination, byte[] comm, string shown, int oldState = 2,
        int newState = 1, ulong deltaUs = 1500, ushort sport = 51234, ushort dport = 443, uint pid = 22384,
        ulong timestampUs = 1_000_000) =>
        new(EventFactory.Create(source, sport, destination, dport, comm, pid, oldState, newState, deltaUs, timestampUs),
            shown, source, destination);

    public static TheoryData<OutputFormat, bool, bool> Modes()
    {
        var data = new TheoryData<OutputFormat, bool, bool>();
        foreach (OutputFormat format in Enum.GetValues<OutputFormat>())
        {
            foreach (bool time in new[] { false, true })
            {
                foreach (bool timestamp in new[] { false, true })
                    data.Add(format, time, timestamp);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Header_and_rows_match_the_original_format_strings_byte_for_byte(OutputFormat format, bool time, bool timestamp)
    {
        var output = new MemoryStream();
        var printer = new EventPrinter(output, format, time, timestamp, new TestClock(Now));
        printer.WriteHeader();
        foreach (Case c in Cases)
            printer.Write(c.Event);
        Assert.True(printer.Flush());

        var expected = new StringBuilder();
        expected.Append(ExpectedHeader(format, time, timestamp)).Append('\n');
        ulong start = Cases[0].Event.TimestampUs;
        foreach (Case c in Cases)
            expected.Append(ExpectedRow(format, time, timestamp, c, start)).Append('\n');

        string[] want = expected.ToString().Split('\n');
        string[] got = Encoding.UTF8.GetString(output.ToArray()).Split('\n');
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
            Assert.Equal(want[i], got[i]);
        Assert.Equal(Encoding.UTF8.GetBytes(expected.ToString()), output.ToArray());
    }

    /// <summary>Rows of every kind at random (seeded): numbers of every length, short and long names, known and
    /// unknown states, times before the first event; the table-driven columns and the field-by-field path alike.</summary>
    [Theory]
    [MemberData(nameof(Modes))]
    public void Random_rows_match_the_original_format_strings_byte_for_byte(OutputFormat format, bool time, bool timestamp)
    {
        var random = new Random(1234);
        string[] ipv6 = ["::1", "fe80::1", "2001:db8::1:0:0:1", "::ffff:10.0.0.1", "::", "2001:db8:85a3:8d3:1319:8a2e:370:7348"];
        var cases = new List<Case>();
        for (int i = 0; i < 4000; i++)
        {
            bool v4 = random.Next(4) != 0;
            string source = v4 ? RandomIPv4(random) : ipv6[random.Next(ipv6.Length)];
            string destination = v4 ? RandomIPv4(random) : ipv6[random.Next(ipv6.Length)];
            byte[] comm = new byte[random.Next(17)];
            for (int c = 0; c < comm.Length; c++)
                comm[c] = (byte)random.Next(0x21, 0x7f);
            if (random.Next(50) == 0 && comm.Length > 0)
                comm[random.Next(comm.Length)] = (byte)'\\';
            string shown = Encoding.ASCII.GetString(comm).Replace("\\", "\\\\", StringComparison.Ordinal);
            var c1 = Make(source, destination, comm, shown,
                oldState: random.Next(-1, 14), newState: random.Next(0, 14),
                deltaUs: RandomMagnitude(random, 64), sport: (ushort)RandomMagnitude(random, 16),
                dport: (ushort)RandomMagnitude(random, 16), pid: (uint)RandomMagnitude(random, 32),
                timestampUs: 1_000_000_000 + RandomMagnitude(random, 40) - (ulong)random.Next(2) * RandomMagnitude(random, 30));
            TcpStateEvent e = c1.Event;
            e.SkAddr = RandomMagnitude(random, 64);
            cases.Add(c1 with { Event = e });
        }

        var output = new MemoryStream();
        var printer = new EventPrinter(output, format, time, timestamp, new TestClock(Now));
        foreach (Case c in cases)
            printer.Write(c.Event);
        Assert.True(printer.Flush());

        string[] got = Encoding.UTF8.GetString(output.ToArray()).Split('\n');
        Assert.Equal(cases.Count + 1, got.Length);
        ulong start = cases[0].Event.TimestampUs;
        for (int i = 0; i < cases.Count; i++)
            Assert.Equal(ExpectedRow(format, time, timestamp, cases[i], start), got[i]);
    }

    [Theory]
    [InlineData(OutputFormat.Columns)]
    [InlineData(OutputFormat.Wide)]
    public void Rows_of_sockets_seen_before_match_the_original_whatever_else_changed(OutputFormat format)
    {
        // Sockets drawn from a pool larger than the printer's table of their columns (so entries are taken over), each
        // row changing the task, the states and the time, and now and then the socket's ports or addresses (a socket
        // address the kernel gave to a new socket), or its family.
        var random = new Random(4321);
        var sockets = new Case[600];
        for (int i = 0; i < sockets.Length; i++)
            sockets[i] = RandomSocket(random, 0xffff_8881_0000_0000UL + (ulong)i * 0x800);
        var cases = new List<Case>();
        for (int i = 0; i < 20000; i++)
        {
            int pick = random.Next(10) == 0 ? random.Next(sockets.Length) : random.Next(8);
            if (random.Next(40) == 0)
                sockets[pick] = Changed(random, sockets[pick]);
            Case socket = sockets[pick];
            byte[] comm = Encoding.ASCII.GetBytes(random.Next(3) switch { 0 => "curl", 1 => "swapper/1", _ => "x" });
            Case row = Make(socket.Source, socket.Destination, comm, Encoding.ASCII.GetString(comm),
                oldState: random.Next(1, 13), newState: random.Next(1, 13), deltaUs: RandomMagnitude(random, 40),
                sport: socket.Event.SourcePort, dport: socket.Event.DestinationPort, pid: (uint)RandomMagnitude(random, 32));
            TcpStateEvent e = row.Event;
            e.SkAddr = socket.Event.SkAddr;
            cases.Add(row with { Event = e });
        }

        var output = new MemoryStream();
        var printer = new EventPrinter(output, format, time: false, timestamp: false, new TestClock(Now));
        foreach (Case c in cases)
            printer.Write(c.Event);
        Assert.True(printer.Flush());

        string[] got = Encoding.UTF8.GetString(output.ToArray()).Split('\n');
        Assert.Equal(cases.Count + 1, got.Length);
        for (int i = 0; i < cases.Count; i++)
            Assert.Equal(ExpectedRow(format, false, false, cases[i], 0), got[i]);
    }

    /// <summary>The socket with one thing changed: a port, an address, or all of it (its family too, maybe).</summary>
    private static Case Changed(Random random, Case socket)
    {
        Case fresh = RandomSocket(random, socket.Event.SkAddr);
        if (!socket.Event.IsIPv4 || !fresh.Event.IsIPv4)
            return fresh;
        ushort sport = socket.Event.SourcePort, dport = socket.Event.DestinationPort;
        string source = socket.Source, destination = socket.Destination;
        switch (random.Next(5))
        {
            case 0: sport = fresh.Event.SourcePort; break;
            case 1: dport = fresh.Event.DestinationPort; break;
            case 2: source = fresh.Source; break;
            case 3: destination = fresh.Destination; break;
            default: return fresh;
        }
        Case changed = Make(source, destination, "s"u8.ToArray(), "s", sport: sport, dport: dport);
        TcpStateEvent e = changed.Event;
        e.SkAddr = socket.Event.SkAddr;
        return changed with { Event = e };
    }

    private static Case RandomSocket(Random random, ulong skAddr)
    {
        bool v4 = random.Next(8) != 0;
        string source = v4 ? RandomIPv4(random) : "2001:db8::1:0:0:1";
        string destination = v4 ? RandomIPv4(random) : "::1";
        Case socket = Make(source, destination, "s"u8.ToArray(), "s", sport: (ushort)RandomMagnitude(random, 16),
            dport: (ushort)RandomMagnitude(random, 16));
        TcpStateEvent e = socket.Event;
        e.SkAddr = skAddr;
        return socket with { Event = e };
    }

    private static string RandomIPv4(Random random) =>
        string.Join('.', Enumerable.Range(0, 4).Select(_ => (int)RandomMagnitude(random, 8)));

    /// <summary>A number of a random bit length up to <paramref name="bits"/>: short and long numbers alike.</summary>
    private static ulong RandomMagnitude(Random random, int bits)
    {
        int length = random.Next(bits + 1);
        ulong value = (ulong)random.NextInt64() << 1 ^ (ulong)random.Next(2);
        return length == 0 ? 0 : value >> (64 - length);
    }

    [Fact]
    public void The_default_header_is_the_original_80_column_header()
    {
        var output = new MemoryStream();
        new EventPrinter(output, OutputFormat.Columns, false, false, TimeProvider.System).WriteHeader();
        Assert.Empty(output.ToArray()); // nothing before a flush
        var printer = new EventPrinter(output, OutputFormat.Columns, false, false, TimeProvider.System);
        printer.WriteHeader();
        printer.Flush();
        Assert.Equal(
            "SKADDR           C-PID C-COMM     LADDR           LPORT RADDR           RPORT OLDSTATE    -> NEWSTATE    MS\n",
            Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public void A_closed_pipe_closes_the_printer_quietly()
    {
        using var server = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);
        server.DisposeLocalCopyOfClientHandle();
        // The only reader is gone: the next write gets EPIPE.
        var printer = new EventPrinter(server, OutputFormat.Columns, false, false, TimeProvider.System);
        printer.Write(Cases[0].Event);
        Assert.False(printer.Flush());
        Assert.True(printer.IsClosed);
        printer.Write(Cases[0].Event);
        Assert.False(printer.Flush());
    }

    [Fact]
    public void Output_larger_than_the_buffer_is_written_whole_and_in_order()
    {
        var output = new MemoryStream();
        var printer = new EventPrinter(output, OutputFormat.Csv, false, false, TimeProvider.System);
        for (uint pid = 0; pid < 5000; pid++)
        {
            TcpStateEvent e = Cases[0].Event;
            e.Pid = pid;
            printer.Write(e);
        }
        printer.Flush();
        string[] lines = Encoding.UTF8.GetString(output.ToArray()).TrimEnd('\n').Split('\n');
        Assert.Equal(5000, lines.Length);
        for (int i = 0; i < lines.Length; i++)
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[i].Split(',')[1]);
    }

    private static string ExpectedHeader(OutputFormat format, bool time, bool timestamp)
    {
        bool csv = format == OutputFormat.Csv;
        string prefix = (time ? (csv ? "TIME," : Printf.Format("%-8s ", "TIME")) : "")
                        + (timestamp ? (csv ? "TIME(s)," : Printf.Format("%-9s ", "TIME(s)")) : "");
        object[] titles = ["SKADDR", "C-PID", "C-COMM", format == OutputFormat.Columns ? "" : "IP", "LADDR", "LPORT",
            "RADDR", "RPORT", "OLDSTATE", "NEWSTATE", "MS"];
        return prefix + format switch
        {
            OutputFormat.Csv => Printf.Format("%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s", titles),
            OutputFormat.Wide => Printf.Format("%-16s %-5s %-16.16s %-2s %-39s %-5s %-39s %-5s %-11s -> %-11s %s", titles),
            _ => Printf.Format("%-16s %-5s %-10.10s %s%-15s %-5s %-15s %-5s %-11s -> %-11s %s", titles),
        };
    }

    private static string ExpectedRow(OutputFormat format, bool time, bool timestamp, Case c, ulong start)
    {
        TcpStateEvent e = c.Event;
        bool csv = format == OutputFormat.Csv;
        double seconds = ((double)e.TimestampUs - start) / 1000000;
        string prefix = (time ? (csv ? "07:05:09," : Printf.Format("%-8s ", "07:05:09")) : "")
                        + (timestamp ? Printf.Format(csv ? "%.6f," : "%-9.6f ", seconds) : "");
        string name = csv && (c.ShownName.Contains(',') || c.ShownName.Contains('"'))
            ? "\"" + c.ShownName.Replace("\"", "\"\"") + "\""
            : c.ShownName;
        string ip = format == OutputFormat.Columns ? "" : e.Family == 2 ? "4" : "6";
        object[] values = [e.SkAddr, e.Pid, name, ip, c.Source, e.SourcePort, c.Destination, e.DestinationPort,
            StateName(e.OldState), StateName(e.NewState), e.DeltaUs / 1000.0];
        return prefix + format switch
        {
            OutputFormat.Csv => Printf.Format("%x,%d,%s,%s,%s,%s,%s,%d,%s,%s,%.3f", values),
            OutputFormat.Wide => Printf.Format("%-16x %-5d %-16.16s %-2s %-39s %-5s %-39s %-5d %-11s -> %-11s %.3f", values),
            _ => Printf.Format("%-16x %-5d %-10.10s %s%-15s %-5d %-15s %-5d %-11s -> %-11s %.3f", values),
        };
    }

    /// <summary>The original's tcpstate2str, with its u32 field for unknown numbers.</summary>
    private static string StateName(int state) => state switch
    {
        1 => "ESTABLISHED", 2 => "SYN_SENT", 3 => "SYN_RECV", 4 => "FIN_WAIT1", 5 => "FIN_WAIT2", 6 => "TIME_WAIT",
        7 => "CLOSE", 8 => "CLOSE_WAIT", 9 => "LAST_ACK", 10 => "LISTEN", 11 => "CLOSING", 12 => "NEW_SYN_RECV",
        _ => ((uint)state).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
