using TcpStates.Bench.Measurement;

namespace TcpStates.Bench.Tests;

public class LostEventReportTests
{
    [Fact]
    public void Sums_libbpf_tools_bcc_and_our_forms()
    {
        const string stderr = "lost 12 events on CPU #1\nlost 3 events on CPU #0\nPossibly lost 5 samples\ntcpstates: Lost 1 event\n";

        Assert.Equal(21, LostEventReport.Sum(stderr));
    }

    [Fact]
    public void Ignores_lines_that_report_no_loss()
    {
        Assert.Equal(0, LostEventReport.Sum("libbpf: loaded 12 events\nfailed to lost-track\nlost connection 4\n"));
    }
}
