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
        using var leftovers = ToolLeftovers.Watch();
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
            ToolLeftovers.WaitForObjects();
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
        using var leftovers = ToolLeftovers.Watch();
        string log = Path.GetTempFileName();
        try
        {
            (int code, string stdout, _) = ToolScript.Run(
                $"\"$BIN\" -s > \"{log}\" & pid=$!; until grep -q SKADDR \"{log}\"; do sleep 0.05; done; " +
                "tool_seen; kill -INT $pid; wait $pid; echo \"rc=$?\"");
            Assert.Equal(0, code);
            Assert.Equal("rc=0\n", stdout);
        }
        finally
        {
            File.Delete(log);
        }
    }

    [KernelFact]
    public void Every_thread_but_the_one_waiting_for_them_blocks_SIGINT_and_SIGTERM()
    {
        using var leftovers = ToolLeftovers.Watch();
        // So the kernel hands them to the waiting thread, and a signal costs no new thread and no allocation.
        using TracerRun run = TracerRun.Start("-s");
        int pid = run.ProcessId;
        var threads = Directory.GetDirectories($"/proc/{pid}/task")
            .Select(t => (Name: File.ReadAllText(t + "/comm").Trim(), Status: File.ReadAllLines(t + "/status")))
            .ToList();
        Assert.Contains(threads, t => t.Name == "stop signals");
        const ulong stopSignals = (1UL << (Host.SIGINT - 1)) | (1UL << (Host.SIGTERM - 1));
        foreach ((string name, string[] status) in threads.Where(t => t.Name != "stop signals"))
        {
            ulong blocked = Convert.ToUInt64(status.Single(l => l.StartsWith("SigBlk:", StringComparison.Ordinal))[7..].Trim(), 16);
            Assert.True((blocked & stopSignals) == stopSignals, $"thread '{name}' does not block SIGINT and SIGTERM");
        }
        Assert.Equal(0, run.Stop(Host.SIGINT));
    }

    [KernelFact]
    public void With_no_address_space_left_SIGINT_still_ends_the_tool_cleanly()
    {
        using var leftovers = ToolLeftovers.Watch();
        // RLIMIT_AS lowered to what the running tool has mapped: no thread can be started any more. The runtime's
        // own signal handling starts a thread per signal: it aborted with OutOfMemoryException or ignored SIGINT.
        using TracerRun run = TracerRun.Start("-s");
        string vmSize = File.ReadAllLines($"/proc/{run.ProcessId}/status").Single(l => l.StartsWith("VmSize:", StringComparison.Ordinal));
        long bytes = long.Parse(vmSize[7..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        using (Process limit = Process.Start("prlimit", $"--pid {run.ProcessId} --as={bytes}"))
        {
            limit.WaitForExit();
            Assert.Equal(0, limit.ExitCode);
        }
        Assert.Equal(0, run.Stop(Host.SIGINT));
        Assert.DoesNotContain("Exception", run.Stderr, StringComparison.Ordinal);
    }
}
