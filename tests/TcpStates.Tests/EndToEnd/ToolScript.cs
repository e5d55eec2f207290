using System.Diagnostics;
namespace TcpStates.Tests.EndToEnd;

/// <summary>
/// A bash script around the published tool ($BIN), bounded in time: exit code, stdout and stderr. A script that
/// stops the tool itself calls <c>tool_seen</c> first: it returns once the running test's
/// <see cref="Faults.ToolLeftovers"/> has seen the tool's BPF objects (at once when no test watches).
/// </summary>
internal static class ToolScript
{
    /// <summary>
    /// <paramref name="script"/> in a private mount namespace of its own, with every tracefs and debugfs
    /// unmounted there first (the host's mounts stay as they are).
    /// </summary>
    public static (int Code, string Stdout, string Stderr) RunWithoutTracefs(string script, int timeoutMs = 60_000) =>
        Run("exec unshare -m --propagation private bash -c \"$INNER\"", null, timeoutMs, new Dictionary<string, string>
        {
            ["INNER"] = """
                while read -r _ m t _; do case $t in tracefs|debugfs) echo "$m";; esac; done < /proc/self/mounts | tac |
                  while read -r m; do umount -l "$m"; done
                if grep -q ' - tracefs ' /proc/self/mountinfo; then echo "tracefs still mounted" >&2; exit 99; fi

                """ + script,
        });

    public static (int Code, string Stdout, string Stderr) Run(string script, Action? whileRunning = null, int timeoutMs = 60_000,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("bash", new[] { "-c", ToolSeenFunction + script })
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string seen = Path.Combine(Path.GetTempPath(), "tool-seen-" + Guid.NewGuid().ToString("N"));
        psi.Environment["BIN"] = PublishedTool.Path;
        psi.Environment["TOOL_SEEN"] = seen;
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        DateTime until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        try
        {
            while (!p.HasExited && DateTime.UtcNow < until)
            {
                if (!File.Exists(seen) && Faults.ToolLeftovers.ObjectsSeen) File.WriteAllText(seen, "");
                whileRunning?.Invoke();
                p.WaitForExit(20);
            }
        }
        finally
        {
            File.Delete(seen);
        }
        if (!p.HasExited)
        {
            p.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"still running after {timeoutMs} ms; stdout: {stdout.Result}; stderr: {stderr.Result}");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Defined for every script (and the bash scripts it starts): waits for $TOOL_SEEN.</summary>
    private const string ToolSeenFunction =
        "tool_seen() { until [ -e \"$TOOL_SEEN\" ]; do sleep 0.02; done; }; export -f tool_seen\n";

    /// <summary>Nothing on stderr but "lost N events" (the tracepoint is global: a loss may be anyone's traffic).</summary>
    public static void AssertOnlyLossReports(string stderr) =>
        Assert.All(Lines(stderr), l => Assert.Matches(@"^lost \d+ events$", l));

    /// <summary>The non-empty lines of <paramref name="text"/>.</summary>
    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
