using TcpStates.Bench.Report;

namespace TcpStates.Bench.Tests;

public class ResultTableTests
{
    [Fact]
    public void Median_of_odd_and_even_counts_skips_missing_values()
    {
        Assert.Equal(3, ResultTable.Median([5, null, 1, 3]));
        Assert.Equal(2.5, ResultTable.Median([4, 1, 2, 3]));
        Assert.Null(ResultTable.Median([null]));
    }
}
