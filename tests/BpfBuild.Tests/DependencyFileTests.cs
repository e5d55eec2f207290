using BpfBuild;

namespace BpfBuild.Tests;

public class DependencyFileTests
{
    [Fact]
    public void Reads_every_prerequisite_across_continuation_lines()
    {
        string text = "obj/x.o: /src/x.bpf.c /inc/a.h \\\n  /inc/b.h /inc/with\\ space.h\n";
        Assert.Equal(new[] { "/src/x.bpf.c", "/inc/a.h", "/inc/b.h", "/inc/with space.h" }, DependencyFile.Parse(text));
    }

    [Fact]
    public void Text_without_a_rule_has_no_prerequisites()
    {
        Assert.Empty(DependencyFile.Parse("garbage"));
    }
}
