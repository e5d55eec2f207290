using BpfLoader.Kernel;
using BpfLoader.Maps;

namespace BpfLoader.Tests.Kernel;

public class CpuListTests
{
    [Theory]
    [InlineData("0", new[] { 0 })]
    [InlineData("0-3\n", new[] { 0, 1, 2, 3 })]
    [InlineData("0-3,5", new[] { 0, 1, 2, 3, 5 })]
    [InlineData("0,2-3,7-8", new[] { 0, 2, 3, 7, 8 })]
    public void Parses_ranges_and_single_CPUs(string text, int[] expected)
        => Assert.Equal(expected, CpuList.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("3-1")]
    [InlineData("a-b")]
    [InlineData("1,-2")]
    public void Rejects_malformed_lists(string text)
        => Assert.Throws<FormatException>(() => CpuList.Parse(text));

    [Fact]
    public void Possible_CPU_count_matches_sysfs()
    {
        IReadOnlyList<int> possible = CpuList.Read(CpuList.PossiblePath);
        Assert.Equal(possible.Count, BpfMap.PossibleCpuCount);
        Assert.True(BpfMap.PossibleCpuCount >= Environment.ProcessorCount);
    }
}
