using System.Diagnostics;

namespace BpfLoader.Tests.Attach;

/// <summary>A cgroup v2 directory of the test's own; commands run in it as a child bash moved there first.</summary>
internal sealed class TestCgroup : IDisposable
{
    public string Path { get; }

    public TestCgroup()
    {
        string root = Cgroup2Root() ?? throw new InvalidOperationException("no cgroup2 mount in /proc/self/mountinfo");
        Path = System.IO.Path.Combine(root, $"bpfloader-attach-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    /// <summary>Runs a bash script inside the cgroup and waits for it.</summary>
    public void Run(string script)
    {
        var psi = new ProcessStartInfo("bash", ["-c", $"echo $$ > {Path}/cgroup.procs && {script}"])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process p = Process.Start(psi)!;
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"bash in {Path}: exit {p.ExitCode}: {stderr}");
    }

    public void Dispose()
    {
        // The child has exited and been reaped; the kernel may still hold the cgroup busy for a moment.
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                Directory.Delete(Path);
                return;
            }
            catch (IOException) when (attempt < 49)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static string? Cgroup2Root()
    {
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] parts = line.Split(' ');
            int dash = Array.IndexOf(parts, "-");
            if (dash > 0 && dash + 1 < parts.Length && parts[dash + 1] == "cgroup2")
                return parts[4];
        }
        return null;
    }
}
