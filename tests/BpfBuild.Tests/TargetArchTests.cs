using System.Diagnostics;
using System.Reflection;

namespace BpfBuild.Tests;

/// <summary>
/// The BPF object is built for the architecture the project is built for: build/Bpf.targets passes
/// __TARGET_ARCH_arm64 for a linux-arm64 RuntimeIdentifier and __TARGET_ARCH_x86 for linux-x64.
/// </summary>
public sealed class TargetArchTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bpfarch-" + Guid.NewGuid().ToString("N"));

    public TargetArchTests()
    {
        Directory.CreateDirectory(_dir);
        string root = RepoRoot();
        File.WriteAllText(Path.Combine(_dir, "Directory.Build.props"),
            $"<Project><Import Project=\"{root}/Directory.Build.props\" /></Project>");
        File.WriteAllText(Path.Combine(_dir, "Directory.Packages.props"),
            $"<Project><Import Project=\"{root}/Directory.Packages.props\" /></Project>");
        File.WriteAllText(Path.Combine(_dir, "Probe.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Library</OutputType><SelfContained>false</SelfContained></PropertyGroup>
              <ItemGroup><BpfSource Include="probe.bpf.c" /></ItemGroup>
              <Import Project="{root}/build/Bpf.targets" />
            </Project>
            """);
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

    public void Dispose() => Directory.Delete(_dir, recursive: true);

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

    private (int, string) Dotnet(string args)
    {
        var psi = new ProcessStartInfo("dotnet", $"{args} --nologo -v:q -clp:NoSummary")
        {
            WorkingDirectory = _dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["MSBUILDNOINPROCNODE"] = "1";
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd() + err.Result;
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    private static string RepoRoot()
    {
        string? dir = Path.GetDirectoryName(Assembly.GetExecutingAssembly().Location);
        while (dir is not null && !File.Exists(Path.Combine(dir, "TcpStates.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}
