using System.Diagnostics;

namespace TcpStates.Tests.EndToEnd;

/// <summary>One run of the published tool: its stdout lines as they come, and a clean way to stop it.</summary>
public sealed class TracerRun : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = new();
    private readonly System.Text.StringBuilder _stderr = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;

    private TracerRun(Process process)
    {
        _process = process;
        _stdoutPump = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
                lock (_lines) { _lines.Add(line); Monitor.PulseAll(_lines); }
        });
        _stderrPump = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
                lock (_stderr) _stderr.AppendLine(line);
        });
    }

    /// <summary>Starts the tool and waits until it printed its header (it is attached by then).</summary>
    public static TracerRun Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>As <see cref="Start(string[])"/>, with extra environment variables for the tool.</summary>
    public static TracerRun Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(PublishedTool.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach ((string name, string value) in environment) psi.Environment[name] = value;
        var run = new TracerRun(Process.Start(psi)!);
        run.WaitForLines(l => l.Count >= 1, TimeSpan.FromSeconds(30), "the header");
        return run;
    }

    /// <summary>
    /// As <see cref="Start(IReadOnlyDictionary{string, string}, string[])"/> for a mode that prints no header (-j):
    /// runs with TCPSTATES_DEBUG=1 and waits for its "attached" line on stderr instead.
    /// </summary>
    public static TracerRun StartHeaderless(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(PublishedTool.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach ((string name, string value) in environment) psi.Environment[name] = value;
        psi.Environment["TCPSTATES_DEBUG"] = "1";
        var run = new TracerRun(Process.Start(psi)!);
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!run.Stderr.Contains("debug: attached:", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > until || run._process.HasExited)
                throw new Xunit.Sdk.XunitException($"the tool did not attach; exited={run._process.HasExited}\nstderr:\n{run.Stderr}");
            Thread.Sleep(50);
        }
        return run;
    }

    /// <summary>The tool's process id, to look at it in /proc.</summary>
    public int ProcessId => _process.Id;

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return _lines.ToArray(); }
    }

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>Waits until the lines so far satisfy <paramref name="done"/>; fails with what arrived.</summary>
    public void WaitForLines(Func<IReadOnlyList<string>, bool> done, TimeSpan timeout, string what)
    {
        DateTime until = DateTime.UtcNow + timeout;
        lock (_lines)
        {
            while (!done(_lines))
            {
                TimeSpan left = until - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || _process.HasExited && !done(_lines))
                {
                    if (_process.HasExited) _stdoutPump.Wait(TimeSpan.FromSeconds(2));
                    if (done(_lines)) return;
                    throw new Xunit.Sdk.XunitException(
                        $"timed out waiting for {what}; exited={_process.HasExited}\nstdout:\n{string.Join('\n', _lines)}\nstderr:\n{Stderr}");
                }
                Monitor.Wait(_lines, left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
            }
        }
    }

    /// <summary>Sends the signal and waits for the exit; returns the exit code. All output is read by then.</summary>
    public int Stop(int signal = Host.SIGINT)
    {
        Host.Kill(_process.Id, signal);
        if (!_process.WaitForExit(15_000))
            throw new Xunit.Sdk.XunitException("the tool did not exit within 15 s of signal " + signal);
        _process.WaitForExit();
        Task.WaitAll(new[] { _stdoutPump, _stderrPump }, TimeSpan.FromSeconds(5));
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(); } catch (InvalidOperationException) { }
            _process.WaitForExit(5000);
        }
        _process.Dispose();
    }
}
