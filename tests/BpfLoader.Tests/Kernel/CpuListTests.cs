using BpfLoader.Kernel;
using BpfLoader.Maps;
using BpfLoader.Object;

namespace BpfLoader.Tests.Kernel;

public class CpuListTests
{
    [Theory]
    [InlineData("0", new[] { 0 })]
    [InlineData("0-3\n", new[] { 0, 1, 2, 3 })]
    [InlineData("0-3,5,7-8", new[] { 0, 1, 2, 3, 5, 7, 8 })]
    [InlineData("7-8,0,0-1", new[] { 0, 1, 7, 8 })]
    [InlineData("", new int[0])]
    [InlineData("\n", new int[0])]
    public void Parses_the_kernel_list_format(string text, int[] cpus) =>
        Assert.Equal(cpus, CpuList.Parse(text).Cpus);

    [Theory]
    [InlineData("3-1")]
    [InlineData("a")]
    [InlineData("1-")]
    [InlineData("-1")]
    public void Rejects_what_the_kernel_never_prints(string text) =>
        Assert.Throws<BpfException>(() => CpuList.Parse(text));

    [Fact]
    public void Intersects()
    {
        Assert.Equal([1, 2, 5], CpuList.Parse("0-5").Intersect(CpuList.Parse("1-2,5-9")).Cpus);
    }

    [Fact]
    public void This_machine_has_online_possible_CPUs_including_the_current_one()
    {
        CpuList cpus = CpuList.OnlinePossible();
        Assert.NotEmpty(cpus.Cpus);
        Assert.Contains(Thread.GetCurrentProcessorId(), cpus.Cpus);
    }

    [Fact]
    public void Possible_CPU_count_matches_sysfs()
    {
        Assert.Equal(CpuList.Possible().Cpus.Count, BpfMap.PossibleCpuCount);
        Assert.True(BpfMap.PossibleCpuCount >= Environment.ProcessorCount);
    }
}
