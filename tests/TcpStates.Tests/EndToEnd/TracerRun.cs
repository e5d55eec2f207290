using System.Diagnostics;

namespace TcpStates.Tests.EndToEnd;

/// <summary>One run of the published tool: its stdout lines as they come, and a clean way to stop it.</summary>
public sealed class TracerRun : IDisposable
{
    private readonly RunningCommand _command;

    private TracerRun(ProcessStartInfo start) => _command = new RunningCommand(start);

    /// <summary>Starts the tool and waits until it printed its header (it is attached by then).</summary>
    public static TracerRun Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>As <see cref="Start(string[])"/>, with extra environment variables for the tool.</summary>
    public static TracerRun Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var run = new TracerRun(ToolStart(environment, args));
        run.WaitForLines(l => l.Count >= 1, TimeSpan.FromSeconds(30), "the header");
        return run;
    }

    /// <summary>
    /// As <see cref="Start(IReadOnlyDictionary{string, string}, string[])"/> for a mode that prints no header (-j):
    /// runs with TCPSTATES_DEBUG=1 and waits for its "attached" line on stderr instead.
    /// </summary>
    public static TracerRun StartHeaderless(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        ProcessStartInfo start = ToolStart(environment, args);
        start.Environment["TCPSTATES_DEBUG"] = "1";
        var run = new TracerRun(start);
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!run.Stderr.Contains("debug: attached:", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > until || run._command.HasExited)
                throw new Xunit.Sdk.XunitException($"the tool did not attach; exited={run._command.HasExited}\nstderr:\n{run.Stderr}");
            Thread.Sleep(50);
        }
        return run;
    }

    private static ProcessStartInfo ToolStart(IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var start = new ProcessStartInfo(PublishedTool.Path);
        foreach (string a in args) start.ArgumentList.Add(a);
        foreach ((string name, string value) in environment) start.Environment[name] = value;
        return start;
    }

    /// <summary>The tool's process id, to look at it in /proc.</summary>
    public int ProcessId => _command.Id;

    public IReadOnlyList<string> Lines => _command.Lines;

    public string Stderr => _command.Stderr;

    /// <summary>Waits until the lines so far satisfy <paramref name="done"/>; fails with what arrived.</summary>
    public void WaitForLines(Func<IReadOnlyList<string>, bool> done, TimeSpan timeout, string what) =>
        _command.WaitForLines(done, timeout, what);

    /// <summary>Sends the signal and waits for the exit; returns the exit code. All output is read by then.</summary>
    public int Stop(int signal = Host.SIGINT) => _command.Stop(signal);

    public void Dispose() => _command.Dispose();
}
