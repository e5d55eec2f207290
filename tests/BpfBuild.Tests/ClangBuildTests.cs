namespace BpfBuild.Tests;

/// <summary>
/// Runs the real task through `dotnet build` on a throw-away project that imports build/Bpf.targets,
/// as a user's project would: the object gets embedded, a change to an included header rebuilds it,
/// and a syntax error fails the build with clang's message at its file and line.
/// </summary>
public sealed class ClangBuildTests : IDisposable
{
    private readonly ScratchProject _project = new("<OutputType>Exe</OutputType>", "<BpfSource Include=\"probe.bpf.c\" />");
    private readonly string _dir;

    public ClangBuildTests()
    {
        _dir = _project.Dir;
        File.WriteAllText(Path.Combine(_dir, "Program.cs"), """
            using var s = typeof(Probe).Assembly.GetManifestResourceStream("probe.bpf.o");
            System.Console.WriteLine("embedded=" + (s?.Length ?? -1));
            class Probe { }
            """);
        File.WriteAllText(Path.Combine(_dir, "probe.h"), "#define ANSWER 42\n");
        File.WriteAllText(Path.Combine(_dir, "probe.bpf.c"), """
            #include "bpf_base.h"
            #include "probe.h"
            SEC("tracepoint/syscalls/sys_enter_getpid")
            int probe(void *ctx) { return ANSWER; }
            char LICENSE[] SEC("license") = "GPL";
            """);
    }

    public void Dispose() => _project.Dispose();

    [Fact]
    public void Builds_embeds_rebuilds_on_header_change_and_reports_syntax_errors_at_their_line()
    {
        (int code, string output) = Dotnet("run");
        Assert.True(code == 0, output);
        Assert.Matches(@"embedded=[1-9]\d*", output);

        string obj = Directory.GetFiles(_dir, "probe.bpf.o", SearchOption.AllDirectories).Single();
        DateTime first = File.GetLastWriteTimeUtc(obj);

        (code, output) = Dotnet("build");
        Assert.True(code == 0, output);
        Assert.Equal(first, File.GetLastWriteTimeUtc(obj)); // nothing changed: no recompile

        File.SetLastWriteTimeUtc(Path.Combine(_dir, "probe.h"), DateTime.UtcNow.AddSeconds(5));
        (code, output) = Dotnet("build");
        Assert.True(code == 0, output);
        Assert.True(File.GetLastWriteTimeUtc(obj) > first, "a changed header must rebuild the object");

        File.AppendAllText(Path.Combine(_dir, "probe.bpf.c"), "\nint broken = ;\n");
        (code, output) = Dotnet("build");
        Assert.NotEqual(0, code);
        Assert.Contains("probe.bpf.c(6,", output);
        Assert.Contains("expected expression", output);
        Assert.False(File.Exists(obj), "a failed compile must not leave an object behind");
    }

    private (int, string) Dotnet(string verb) => _project.Dotnet(verb);
}
