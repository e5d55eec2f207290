using System.Diagnostics;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>SIGINT stops the tool however it was started, even with SIGINT ignored (a background job of a script).</summary>
[Collection("tracer")]
public sealed class SignalDispositionTests
{
    [KernelFact]
    public void SIGINT_ends_the_tool_when_it_was_started_with_SIGINT_ignored()
    {
        // What a non-interactive shell does for `tcpstates > log &`: the job starts with SIGINT ignored.
        var psi = new ProcessStartInfo("sh", new[] { "-c", "trap '' INT; exec \"$BIN\" -s" })
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["BIN"] = PublishedTool.Path;
        using Process p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        try
        {
            Assert.StartsWith("SKADDR,", p.StandardOutput.ReadLine());
            Task<string> rest = p.StandardOutput.ReadToEndAsync();
            Assert.Equal(0, Host.Kill(p.Id, Host.SIGINT));
            Assert.True(p.WaitForExit(30_000), "SIGINT was ignored: the tool kept running");
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
            Assert.DoesNotContain("Unhandled", stderr.Result, StringComparison.Ordinal);
            _ = rest.Result;
        }
        finally
        {
            if (!p.HasExited) p.Kill();
        }
    }

    [KernelFact]
    public void SIGINT_ends_a_background_job_of_a_script()
    {
        string log = Path.GetTempFileName();
        try
        {
            (int code, string stdout, _) = ShellRun.Run(
                $"\"$BIN\" -s > \"{log}\" & pid=$!; until grep -q SKADDR \"{log}\"; do sleep 0.05; done; " +
                "kill -INT $pid; wait $pid; echo \"rc=$?\"");
            Assert.Equal(0, code);
            Assert.Equal("rc=0\n", stdout);
        }
        finally
        {
            File.Delete(log);
        }
    }
}
