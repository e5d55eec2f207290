using System.Diagnostics;

namespace TcpStates.Bench.Harness;

/// <summary>
/// Finds our tracer: the native-AOT publish output publish/tcpstates, published again when it is
/// missing or older than any source it is built from.
/// </summary>
internal static class OursBinary
{
    private static readonly string[] SourceFolders = ["src", "bpf", "build"];

    public static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TcpStates.sln")))
                return dir.FullName;
        }
        return null;
    }

    /// <summary>The path to run, or null with the reason in <paramref name="problem"/>.</summary>
    public static string? Resolve(bool publish, out string? problem)
    {
        problem = null;
        string? root = RepositoryRoot();
        if (root is null)
        {
            problem = "repository root (TcpStates.sln) not found; pass --ours";
            return null;
        }
        string binary = Path.Combine(root, "publish", "tcpstates");
        DateTime newestSource = SourceFolders
            .Select(f => Path.Combine(root, f))
            .Where(Directory.Exists)
            .SelectMany(f => Directory.EnumerateFiles(f, "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .Select(File.GetLastWriteTimeUtc)
            .DefaultIfEmpty(DateTime.MinValue)
            .Max();
        bool stale = !File.Exists(binary) || File.GetLastWriteTimeUtc(binary) < newestSource;
        if (stale && publish)
        {
            Console.Error.WriteLine($"bench: publishing ours ({(File.Exists(binary) ? "older than its sources" : "missing")}): dotnet publish src/TcpStates -r linux-x64 -c Release -o publish");
            var info = new ProcessStartInfo("dotnet") { WorkingDirectory = root, UseShellExecute = false, RedirectStandardOutput = true };
            foreach (string a in new[] { "publish", "src/TcpStates", "-r", "linux-x64", "-c", "Release", "-o", "publish", "-nologo", "-v", "q" })
                info.ArgumentList.Add(a);
            using var p = Process.Start(info)!;
            string log = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                problem = $"dotnet publish failed (exit {p.ExitCode}): {log.Trim()}";
                return null;
            }
        }
        else if (stale)
        {
            Console.Error.WriteLine($"bench: warning: {binary} is {(File.Exists(binary) ? "older than its sources" : "missing")} and --no-publish was given");
        }
        if (!File.Exists(binary))
        {
            problem = $"{binary} not found";
            return null;
        }
        return binary;
    }
}
