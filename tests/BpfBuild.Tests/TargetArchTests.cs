namespace BpfBuild.Tests;

/// <summary>
/// The BPF object is built for the architecture the project is built for: build/Bpf.targets passes
/// __TARGET_ARCH_arm64 for a linux-arm64 RuntimeIdentifier and __TARGET_ARCH_x86 for linux-x64.
/// </summary>
public sealed class TargetArchTests : IDisposable
{
    private readonly ScratchProject _project = new("<OutputType>Library</OutputType><SelfContained>false</SelfContained>", "<BpfSource Include=\"probe.bpf.c\" />");
    private readonly string _dir;

    public TargetArchTests()
    {
        _dir = _project.Dir;
        File.WriteAllText(Path.Combine(_dir, "Probe.cs"), "public static class Probe { }\n");
        // Fails to compile unless exactly the expected architecture is defined.
        File.WriteAllText(Path.Combine(_dir, "probe.bpf.c"), """
            #include "bpf_base.h"
            #if defined(__TARGET_ARCH_x86) + defined(__TARGET_ARCH_arm64) != 1 || !defined(EXPECT_ARCH_x86) != !defined(__TARGET_ARCH_x86)
            #error "wrong __TARGET_ARCH_"
            #endif
            SEC("tracepoint/syscalls/sys_enter_getpid")
            int probe(void *ctx) { return 0; }
            char LICENSE[] SEC("license") = "GPL";
            """);
    }

    public void Dispose() => _project.Dispose();

    [Theory]
    [InlineData("linux-arm64", "")]
    [InlineData("linux-x64", "EXPECT_ARCH_x86")]
    public void The_object_is_built_for_the_runtime_identifiers_architecture(string rid, string expectDefine)
    {
        // The source checks itself; a #define on top tells it to expect x86.
        if (expectDefine.Length > 0)
            File.WriteAllText(Path.Combine(_dir, "probe.bpf.c"),
                "#define " + expectDefine + "\n" + File.ReadAllText(Path.Combine(_dir, "probe.bpf.c")));
        (int code, string output) = Dotnet($"build -p:RuntimeIdentifier={rid}");
        Assert.True(code == 0, output);
    }

    private (int, string) Dotnet(string args) => _project.Dotnet(args);
}
