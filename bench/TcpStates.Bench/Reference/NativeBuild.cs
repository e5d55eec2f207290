using System.Diagnostics;
using TcpStates.Bench.Harness;

namespace TcpStates.Bench.Reference;

/// <summary>
/// Compiles the C sources of bench/reference at run time (bench is run by hand, so a compiler on the
/// machine is fine; the tool never needs one): the reference churn loop with the first of
/// clang-14/clang/gcc, the empty tp_btf program with clang-14 or clang.
/// </summary>
internal static class NativeBuild
{
    private static readonly string[] HostCompilers = ["clang-14", "clang", "gcc", "cc"];
    private static readonly string[] BpfCompilers = ["clang-14", "clang"];

    /// <summary>The reference churn loop, or null with why not.</summary>
    public static string? ChurnLoop(string outputDirectory, out string? problem)
    {
        string output = Path.Combine(outputDirectory, "churn");
        return Compile(HostCompilers, ["-O2", "-pthread", "-o", output], "churn.c", output, out problem);
    }

    /// <summary>The empty tp_btf object, or null with why not.</summary>
    public static string? LimitObject(string outputDirectory, out string? problem)
    {
        string output = Path.Combine(outputDirectory, "limit.bpf.o");
        return Compile(BpfCompilers, ["-target", "bpf", "-O2", "-g", "-c", "-o", output], "limit.bpf.c", output, out problem);
    }

    private static string? Compile(string[] compilers, string[] arguments, string source, string output, out string? problem)
    {
        problem = null;
        string? root = OursBinary.RepositoryRoot();
        string sourcePath = root is null ? "" : Path.Combine(root, "bench", "reference", source);
        if (!File.Exists(sourcePath))
        {
            problem = $"bench/reference/{source} not found";
            return null;
        }
        string? compiler = compilers.FirstOrDefault(c => FindOnPath(c) is not null);
        if (compiler is null)
        {
            problem = $"no compiler for {source} (tried {string.Join(", ", compilers)})";
            return null;
        }
        var info = new ProcessStartInfo(FindOnPath(compiler)!) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in arguments)
            info.ArgumentList.Add(a);
        info.ArgumentList.Add(sourcePath);
        using var p = Process.Start(info)!;
        string errors = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0 || !File.Exists(output))
        {
            problem = $"{compiler} {source} failed: {errors.Trim().Split('\n')[0]}";
            return null;
        }
        return output;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);
}
