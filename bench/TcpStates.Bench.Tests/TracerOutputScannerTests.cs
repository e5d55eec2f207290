using System.Text;
using TcpStates.Bench.Tracers;

namespace TcpStates.Bench.Tests;

public class TracerOutputScannerTests
{
    private const string LibbpfTools =
        "SKADDR           PID     COMM       LADDR           LPORT RADDR           RPORT OLDSTATE    -> NEWSTATE    MS\n" +
        "ffff8881043c6f00 5968    curl       127.0.0.1       0     127.0.0.1       4242  CLOSE       -> SYN_SENT    0.000\n" +
        "ffff888102ec3780 5969    python3    127.0.0.1       4242  127.0.0.1       57862 LISTEN      -> SYN_RECV    0.000\n" +
        "ffff888102ec0000 0       swapper/1  127.0.0.1       5555  127.0.0.1       6666  SYN_SENT    -> ESTABLISHED 1.373\n";

    // bcc columns (C-PID C-COMM), a COMM with spaces, a terminal's CRLF and an IPv6 address wider than its column.
    private const string BccOnTerminal =
        "SKADDR           C-PID C-COMM     LADDR           LPORT RADDR           RPORT OLDSTATE    -> NEWSTATE    MS\r\n" +
        "ffff9fd7e8192000 22384 Web Content ::1            4242  ::1             52000 ESTABLISHED -> CLOSE_WAIT  0.454\r\n" +
        "ffff9fd7e8192000 22384 a b c      2001:db8:1:2:3:4:5:6 1 ::1            4242  FIN_WAIT2   -> CLOSE       0.012\r\n";

    [Fact]
    public void Counts_the_header_and_the_event_lines_per_port()
    {
        var scanner = Scan(LibbpfTools, chunk: 4096);

        Assert.Equal(4, scanner.Lines);
        Assert.Equal(3, scanner.EventLines);
        Assert.StartsWith("SKADDR", scanner.Header, StringComparison.Ordinal);
        Assert.Equal(2, scanner.LinesWithPort(4242));
        Assert.Equal(1, scanner.LinesWithPort(5555));
        Assert.Equal(1, scanner.LinesWithPort(6666));
        Assert.Equal(1, scanner.LinesWithPort(57862));
        Assert.Equal(1, scanner.LinesWithPort(0));   // LPORT 0 of the SYN_SENT line
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    public void Gives_the_same_counts_whatever_the_chunks(int chunk)
    {
        var whole = Scan(BccOnTerminal, chunk: 4096);
        var pieces = Scan(BccOnTerminal, chunk);

        Assert.Equal(3, pieces.Lines);
        Assert.Equal(2, pieces.LinesWithPort(4242));
        Assert.Equal(whole.LinesWithPort(4242), pieces.LinesWithPort(4242));
        Assert.Equal(1, pieces.LinesWithPort(52000));
        Assert.Equal(1, pieces.LinesWithPort(1));
    }

    [Fact]
    public void Counts_a_last_line_without_newline_on_completion()
    {
        var scanner = new TracerOutputScanner();
        scanner.Feed(Encoding.ASCII.GetBytes(LibbpfTools.TrimEnd('\n')));
        Assert.Equal(3, scanner.Lines);

        scanner.Complete();

        Assert.Equal(4, scanner.Lines);
        Assert.Equal(1, scanner.LinesWithPort(5555));
    }

    [Fact]
    public void Signals_the_header_when_its_line_ends()
    {
        var scanner = new TracerOutputScanner();
        scanner.Feed("SKADDR PID"u8);
        Assert.False(scanner.HeaderSeen.WaitOne(0));

        scanner.Feed(" COMM\n"u8);

        Assert.True(scanner.HeaderSeen.WaitOne(0));
        Assert.Equal("SKADDR PID COMM", scanner.Header);
    }

    private const string Header =
        "SKADDR           C-PID C-COMM     LADDR           LPORT RADDR           RPORT OLDSTATE    -> NEWSTATE    MS\n";

    private static string Row(string socket, int lport, int rport, string oldState, string newState) =>
        $"{socket} 123   load       127.0.0.1       {lport,-5} 127.0.0.1       {rport,-5} {oldState,-11} -> {newState,-11} 0.010\n";

    // One client socket's graceful life, then its address taken by a new socket, with the server's rows between.
    private static readonly string[] Chain =
    [
        Row("ffff888100000a00", 0, 4242, "CLOSE", "SYN_SENT"),
        Row("ffff888100000b00", 4242, 50000, "LISTEN", "SYN_RECV"),
        Row("ffff888100000a00", 50000, 4242, "SYN_SENT", "ESTABLISHED"),
        Row("ffff888100000b00", 4242, 50000, "SYN_RECV", "ESTABLISHED"),
        Row("ffff888100000a00", 50000, 4242, "ESTABLISHED", "FIN_WAIT1"),
        Row("ffff888100000a00", 50000, 4242, "FIN_WAIT1", "FIN_WAIT2"),
        Row("ffff888100000a00", 50000, 4242, "FIN_WAIT2", "CLOSE"),
        Row("ffff888100000a00", 0, 4242, "CLOSE", "SYN_SENT"),
        Row("ffff888100000b00", 4242, 50000, "ESTABLISHED", "CLOSE_WAIT"),
    ];

    [Fact]
    public void Rows_that_chain_per_socket_are_all_in_chain_also_when_a_closed_sockets_address_is_reused()
    {
        var scanner = Scan(Header + string.Concat(Chain), chunk: 4096);

        Assert.Equal(Chain.Length, scanner.LinesWithPort(4242));
        Assert.Equal(0, scanner.OutOfChain);
        Assert.Equal(0, scanner.OutOfChainWithPort(4242));
    }

    [Fact]
    public void Two_rows_of_a_socket_swapped_are_out_of_chain_on_their_ports()
    {
        string[] rows = [.. Chain];
        (rows[4], rows[5]) = (rows[5], rows[4]);

        var scanner = Scan(Header + string.Concat(rows), chunk: 4096);

        // FIN_WAIT1 -> FIN_WAIT2 after ESTABLISHED, ESTABLISHED -> FIN_WAIT1 after it, FIN_WAIT2 -> CLOSE after that.
        Assert.Equal(3, scanner.OutOfChain);
        Assert.Equal(3, scanner.OutOfChainWithPort(4242));
        Assert.Equal(3, scanner.OutOfChainWithPort(50000));
        Assert.Equal(0, scanner.OutOfChainWithPort(0));   // the first connect's LPORT 0 row is in chain
    }

    [Fact]
    public void A_change_to_CLOSE_printed_twice_is_out_of_chain()
    {
        string[] rows = [.. Chain[..7], Chain[6], .. Chain[7..]];   // FIN_WAIT2 -> CLOSE twice, then the address reused

        var scanner = Scan(Header + string.Concat(rows), chunk: 4096);

        Assert.Equal(1, scanner.OutOfChain);
    }

    [Fact]
    public void A_row_missing_puts_the_next_row_of_its_socket_out_of_chain()
    {
        var rows = Chain.Where((_, i) => i != 3).ToArray();   // the server's SYN_RECV -> ESTABLISHED

        var scanner = Scan(Header + string.Concat(rows), chunk: 4096);

        Assert.Equal(1, scanner.OutOfChain);
    }

    [Fact]
    public void Lines_that_name_no_socket_or_no_states_are_not_followed()
    {
        string text = Header
            + "12:00:01 ffff888100000a00 123 load 127.0.0.1 0 127.0.0.1 4242 CLOSE -> SYN_SENT 0.010\n"   // a time column first
            + Row("ffff888100000a00", 50000, 4242, "SYN_SENT", "ESTABLISHED")
            + "lost 12 events\n";

        var scanner = Scan(text, chunk: 4096);

        Assert.Equal(0, scanner.OutOfChain);
    }

    private static TracerOutputScanner Scan(string text, int chunk)
    {
        var scanner = new TracerOutputScanner();
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        for (int i = 0; i < bytes.Length; i += chunk)
            scanner.Feed(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        scanner.Complete();
        return scanner;
    }
}
