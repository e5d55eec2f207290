using System.Text;
using TcpStates.Output;

namespace TcpStates.Tests.Output;

public class OutputLineParserTests
{
    public static TheoryData<OutputFormat, bool, bool> Modes() => EventPrinterTests.Modes();

    [Theory]
    [MemberData(nameof(Modes))]
    public void What_the_printer_writes_parses_back_to_the_event(OutputFormat format, bool time, bool timestamp)
    {
        TcpStateEvent[] events =
        [
            EventFactory.Create("127.0.0.1", 40000, "127.0.0.1", 8080, "Web Content"u8.ToArray(), 42, 7, 2, 0, 5_000_000),
            EventFactory.Create("2001:db8::1", 22, "::1", 65535, "a,\"b"u8.ToArray(), 0, 1, 4, 176042, 5_250_000),
        ];
        var output = new MemoryStream();
        var printer = new EventPrinter(output, format, time, timestamp, TimeProvider.System);
        printer.WriteHeader();
        foreach (TcpStateEvent e in events)
            printer.Write(e);
        printer.Flush();

        IReadOnlyList<OutputRecord> records =
            OutputLineParser.ParseAll(Encoding.UTF8.GetString(output.ToArray()), format, time, timestamp);

        Assert.Equal(2, records.Count);
        OutputRecord first = records[0], second = records[1];
        Assert.Equal((42U, "127.0.0.1", (ushort)40000, "127.0.0.1", (ushort)8080, "CLOSE", "SYN_SENT", 0.0),
            (first.Pid, first.LocalAddress, first.LocalPort, first.RemoteAddress, first.RemotePort, first.OldState,
                first.NewState, first.Milliseconds));
        Assert.Equal(format == OutputFormat.Columns ? "Web Conten" : "Web Content", first.Command);
        Assert.Equal("2001:db8::1", second.LocalAddress);
        Assert.Equal(65535, second.RemotePort);
        Assert.Equal(176.042, second.Milliseconds);
        Assert.Equal("a,\"b", second.Command);
        Assert.Equal(0xffff9fd7e8192000, second.SkAddr);
        Assert.Equal(format == OutputFormat.Columns ? null : 6, second.IpVersion);
        Assert.Equal(timestamp ? 0.25 : null, second.Seconds);
        Assert.Equal(time, second.Time is { Length: 8 });
    }
}
