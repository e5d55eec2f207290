using System.Diagnostics;
using System.Text;
namespace TcpStates.Tests.EndToEnd;

/// <summary>A long-running command: its stdout lines as they come, its stderr, and a signal to end it.</summary>
public sealed class RunningCommand : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _stderr = new();
    private readonly Task _pumps;

    public RunningCommand(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = start.RedirectStandardError = start.RedirectStandardInput = true;
        _process = Process.Start(start)!;
        Task stdout = Task.Run(async () =>
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
                lock (_lines) { _lines.Add(line); Monitor.PulseAll(_lines); }
        });
        Task stderr = Task.Run(async () =>
        {
            while (await _process.StandardError.ReadLineAsync() is { } line)
                lock (_stderr) _stderr.AppendLine(line);
        });
        _pumps = Task.WhenAll(stdout, stderr);
    }

    /// <summary>The process ID (a journal entry's _PID, for one).</summary>
    public int Id => _process.Id;

    /// <summary>Whether the command has ended.</summary>
    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return _lines.ToArray(); }
    }

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>Waits until the lines satisfy <paramref name="done"/>; fails with what arrived when the time is up or the command ended.</summary>
    public void WaitForLines(Func<IReadOnlyList<string>, bool> done, TimeSpan timeout, string what)
    {
        DateTime until = DateTime.UtcNow + timeout;
        lock (_lines)
        {
            while (!done(_lines))
            {
                if (DateTime.UtcNow >= until || _process.HasExited)
                {
                    Monitor.Exit(_lines);
                    try { _pumps.Wait(TimeSpan.FromSeconds(2)); }
                    finally { Monitor.Enter(_lines); }
                    if (done(_lines)) return;
                    throw new Xunit.Sdk.XunitException(
                        $"timed out waiting for {what}; exited={_process.HasExited}\nstdout:\n{string.Join('\n', _lines)}\nstderr:\n{Stderr}");
                }
                Monitor.Wait(_lines, TimeSpan.FromMilliseconds(200));
            }
        }
    }

    /// <summary>Waits for the command to end by itself; returns its exit code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
            throw new Xunit.Sdk.XunitException($"still running after {timeout}\nstderr:\n{Stderr}");
        _process.WaitForExit();
        _pumps.Wait(TimeSpan.FromSeconds(5));
        return _process.ExitCode;
    }

    /// <summary>Sends <paramref name="signal"/> and waits for the exit; returns the exit code.</summary>
    public int Stop(int signal)
    {
        Faults.ToolLeftovers.WaitForObjects();
        Host.Kill(_process.Id, signal);
        return WaitForExit(TimeSpan.FromSeconds(15));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            _process.WaitForExit(5000);
        }
        _process.Dispose();
    }
}
