using System.Diagnostics;
using System.Reflection;

namespace BpfBuild.Tests;

/// <summary>
/// A throw-away project in a temporary folder that imports build/Bpf.targets as a user's project would,
/// with the repository's props (warnings as errors, central package versions) imported too.
/// </summary>
internal sealed class ScratchProject : IDisposable
{
    /// <summary>The project's folder.</summary>
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "bpfbuild-" + Guid.NewGuid().ToString("N"));

    /// <summary>The repository's root (the folder that holds TcpStates.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Writes Probe.csproj with <paramref name="properties"/> and <paramref name="items"/> (MSBuild XML).</summary>
    public ScratchProject(string properties, string items)
    {
        Directory.CreateDirectory(Dir);
        Write("Directory.Build.props", $"<Project><Import Project=\"{RepoRoot}/Directory.Build.props\" /></Project>");
        Write("Directory.Packages.props", $"<Project><Import Project=\"{RepoRoot}/Directory.Packages.props\" /></Project>");
        Write("Probe.csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>{properties}</PropertyGroup>
              <ItemGroup>{items}</ItemGroup>
              <Import Project="{RepoRoot}/build/Bpf.targets" />
            </Project>
            """);
    }

    /// <summary>Writes a file of the project (its folders made as needed).</summary>
    public void Write(string relativePath, string text)
    {
        string path = Path.Combine(Dir, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    /// <summary>Runs `dotnet ARGS` in the project: exit code, and stdout and stderr together.</summary>
    public (int Code, string Output) Dotnet(string args) => Run("dotnet", $"{args} --nologo -v:q -clp:NoSummary", Dir);

    /// <summary>Runs a program: exit code and its output; -1 and the reason when it cannot be started.</summary>
    public static (int Code, string Output) Run(string file, string args, string? dir = null)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (dir is not null) psi.WorkingDirectory = dir;
        psi.Environment["MSBUILDNOINPROCNODE"] = "1";
        try
        {
            using Process p = Process.Start(psi)!;
            Task<string> err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output + err.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, file + ": " + e.Message);
        }
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    private static string FindRepoRoot()
    {
        string? dir = Path.GetDirectoryName(Assembly.GetExecutingAssembly().Location);
        while (dir is not null && !File.Exists(Path.Combine(dir, "TcpStates.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}
