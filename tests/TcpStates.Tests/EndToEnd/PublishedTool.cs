using System.Diagnostics;

namespace TcpStates.Tests.EndToEnd;

/// <summary>
/// The tool as a user runs it: the native-AOT binary from `dotnet publish`. Published once per test
/// run into artifacts/e2e (or taken from TCPSTATES_BIN when set).
/// </summary>
public sealed class PublishedTool
{
    private static readonly Lazy<string> s_path = new(Publish, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Path => s_path.Value;

    private static string Publish()
    {
        string? given = Environment.GetEnvironmentVariable("TCPSTATES_BIN");
        if (!string.IsNullOrEmpty(given)) return given;

        return Publish("linux-x64", "e2e", "");
    }

    /// <summary>`dotnet publish src/TcpStates -r <paramref name="rid"/>` into artifacts/<paramref name="folder"/>; the binary's path.</summary>
    internal static string Publish(string rid, string folder, string hint)
    {
        string root = RepoRoot();
        string output = System.IO.Path.Combine(root, "artifacts", folder);
        var psi = new ProcessStartInfo("dotnet",
            $"publish \"{System.IO.Path.Combine(root, "src", "TcpStates")}\" -r {rid} -c Release -o \"{output}\" --nologo -v:q")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string log = p.StandardOutput.ReadToEnd() + err.Result;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"dotnet publish -r {rid} failed{hint}:\n" + log);
        return System.IO.Path.Combine(output, "tcpstates");
    }

    internal static string RepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir, "TcpStates.sln")))
            dir = System.IO.Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}
