using TcpStates.Bench.Load;
using TcpStates.Bench.Tracers;

namespace TcpStates.Bench.Tests;

public class CachedOutputFileTests
{
    private const string Header = "SKADDR           C-PID C-COMM     LADDR           LPORT RADDR           RPORT OLDSTATE    -> NEWSTATE    MS\n";
    private const string Row = "ffff9fd7e8192000 22384 curl       127.0.0.1       0     127.0.0.1       4242  CLOSE       -> SYN_SENT    0.000\n";

    [Fact]
    public void A_tracer_on_the_cached_sink_writes_over_the_zeros_and_only_its_lines_are_counted()
    {
        string dir = Directory.CreateTempSubdirectory("cached-sink-").FullName;
        try
        {
            string output = Path.Combine(dir, "out"), stderr = Path.Combine(dir, "err");
            CachedOutputFile.Prepare(output, 1 << 20);
            using (var process = TracerProcess.Start("/bin/sh", ["-c", $"printf '{Header.TrimEnd()}\\n{Row.TrimEnd()}\\n{Row.TrimEnd()}\\n'"], OutputSink.Cached, output, stderr))
                Assert.True(process.WaitForExit(TimeSpan.FromSeconds(10)), "the writer did not exit");

            Assert.Equal(1 << 20, new FileInfo(output).Length);   // written over from the start, neither truncated nor appended to
            TracerOutputScanner scanner = CachedOutputFile.Scan(output);
            Assert.Equal(2, scanner.EventLines);
            Assert.Equal(2, scanner.LinesWithPort(4242));
            Assert.Equal(4, TracerOutputScanner.FromFile(output, untilZero: false).Lines);   // the zeros would be a line of their own
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_file_has_room_for_long_rows_of_every_change_within_bounds()
    {
        ChurnOptions Churn(int count) => new(count, TimeSpan.FromSeconds(30), 2, CloseMode.Graceful, false, TimeSpan.Zero);

        Assert.Equal(20_000L * 12 * 256, CachedOutputFile.Size(Churn(20_000)));
        Assert.Equal(1L << 20, CachedOutputFile.Size(Churn(10)));
        Assert.Equal(256L << 20, CachedOutputFile.Size(Churn(int.MaxValue)));
    }
}
