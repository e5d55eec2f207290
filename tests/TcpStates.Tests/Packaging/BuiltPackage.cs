using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Packaging;

/// <summary>
/// The .deb and tarball that packaging/build makes: the ones named by TCPSTATES_DEB (CI builds them with
/// the one command, publish included, before the tests), else built once per test run from the binary
/// the end-to-end tests publish.
/// </summary>
public static class BuiltPackage
{
    private static readonly Lazy<(string Deb, string Tarball)> s_files = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Deb => s_files.Value.Deb;

    public static string Tarball => s_files.Value.Tarball;

    private static (string, string) Build()
    {
        string? given = Environment.GetEnvironmentVariable("TCPSTATES_DEB");
        if (!string.IsNullOrEmpty(given))
        {
            // packaging/build writes both side by side: the newest tarball there is this build's.
            string tarball = new DirectoryInfo(Path.GetDirectoryName(Path.GetFullPath(given))!).GetFiles("tcpstates-*.tar.gz")
                .OrderByDescending(f => f.LastWriteTimeUtc).First().FullName;
            return (given, tarball);
        }
        string root = PublishedTool.RepoRoot();
        string output = Path.Combine(root, "artifacts", "test-packages");
        ProcessResult result = ProcessResult.Run(Path.Combine(root, "packaging", "build"),
            ["--binary", PublishedTool.Path, "--out", output], TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, "packaging/build failed:\n" + result.Stderr);
        string[] paths = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (paths[^2], paths[^1]);
    }
}
