using System.Diagnostics;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>The published tool under a shell script (for redirections a test cannot make itself); $BIN is the tool.</summary>
public static class ShellRun
{
    /// <summary>Runs <paramref name="script"/> with sh, calling <paramref name="whileRunning"/> until it exits; kills it after the hang guard.</summary>
    public static (int Code, string Stdout, string Stderr) Run(string script, Action? whileRunning = null,
        IReadOnlyDictionary<string, string>? environment = null, int hangGuardMs = 60_000)
    {
        var psi = new ProcessStartInfo("sh", new[] { "-c", script })
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["BIN"] = PublishedTool.Path;
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
            psi.Environment[name] = value;
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        DateTime until = DateTime.UtcNow.AddMilliseconds(hangGuardMs);
        while (!p.HasExited && DateTime.UtcNow < until)
        {
            whileRunning?.Invoke();
            p.WaitForExit(50);
        }
        if (!p.HasExited)
        {
            p.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"still running after {hangGuardMs} ms; stdout: {stdout.Result}; stderr: {stderr.Result}");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>stderr's lines, without empty ones.</summary>
    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
