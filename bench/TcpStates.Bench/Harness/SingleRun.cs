using System.Diagnostics;
using TcpStates.Bench.Interop;
using TcpStates.Bench.Load;
using TcpStates.Bench.Measurement;
using TcpStates.Bench.Reference;
using TcpStates.Bench.Steadiness;
using TcpStates.Bench.Tracers;

namespace TcpStates.Bench.Harness;

/// <summary>
/// One measured run: start the tracer, wait until it is ready and idle, take the baseline, run the
/// churn, let the tracer drain, take the final counters, stop it with SIGINT and reap it.
/// </summary>
internal sealed class SingleRun(string workDirectory)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Where tracer output and stderr files go for the duration of a run.</summary>
    public string WorkDirectory => workDirectory;

    public RunMeasurement Measure(TracerSpec tracer, OutputSink sink, ChurnOptions churn, int round)
    {
        var result = new RunMeasurement(tracer.Name, sink, round);
        if (tracer.IsNone)
        {
            try
            {
                TimeSpan harnessBefore = Environment.CpuUsage.TotalTime;
                ChurnResult untraced = tracer.ReferenceLoop is string loop ? ReferenceLoad.Run(loop, churn) : LoadProcess.Run(churn);
                long harness = (long)(Environment.CpuUsage.TotalTime - harnessBefore).TotalNanoseconds;
                return result with { Churn = untraced, Disturbance = Disturbance(untraced, harness) };
            }
            catch (InvalidOperationException e)
            {
                return result with { Failure = e.Message };
            }
        }

        string stdoutPath = Path.Combine(workDirectory, $"{tracer.Name}-{sink}-{round}.out");
        string stderrPath = Path.Combine(workDirectory, $"{tracer.Name}-{sink}-{round}.err");
        try
        {
            if (sink == OutputSink.Cached)
                CachedOutputFile.Prepare(stdoutPath, CachedOutputFile.Size(churn));
            using var process = TracerProcess.Start(tracer.Path!, tracer.Arguments, sink, stdoutPath, stderrPath);
            return MeasureStarted(process, tracer, result, sink, churn, stdoutPath);
        }
        finally
        {
            File.Delete(stdoutPath);
            File.Delete(stderrPath);
        }
    }

    /// <summary>
    /// Time from exec to the header on a terminal, then SIGINT: no load. A terminal because on a pipe
    /// or file stdio holds the header back until 4 KiB of events follow it.
    /// </summary>
    public RunMeasurement MeasureStartup(TracerSpec tracer, int round)
    {
        var result = new RunMeasurement(tracer.Name, OutputSink.Terminal, round);
        string stderrPath = Path.Combine(workDirectory, $"{tracer.Name}-startup-{round}.err");
        try
        {
            using var process = TracerProcess.Start(tracer.Path!, tracer.Arguments, OutputSink.Terminal, "", stderrPath);
            var clock = Stopwatch.StartNew();
            while (!process.PipeScanner!.HeaderSeen.WaitOne(2))
            {
                if (process.PollExit() || clock.Elapsed > ReadyTimeout)
                    return result with { Failure = NotReady(process, process.Exited ? "exited before its header" : "no header") };
            }
            double readyMs = (process.PipeScanner.HeaderTimestamp - process.StartTimestamp) * 1000.0 / Stopwatch.Frequency;
            // A first line only counts as "ready" from a tracer that is tracing.
            if (WaitUntilAttached(process, out _) is string notAttached)
                return result with { Failure = NotReady(process, $"printed '{process.PipeScanner.Header}' but {notAttached}") };
            process.Signal(Native.SigInt);
            process.WaitForExit(StopTimeout);
            return result with { ReadyMs = readyMs, ExitDescription = process.ExitDescription };
        }
        finally
        {
            File.Delete(stderrPath);
        }
    }

    internal static string NotReady(TracerProcess process, string why)
    {
        process.PollExit();
        string output = TracerProcess.OneLine(TracerProcess.Tail(process.ReadStderr() + " " + (process.PipeScanner?.Header ?? ""), 300));
        return $"{(process.Exited ? $"{why} ({process.ExitDescription})" : why)}: {output}";
    }

    private static RunMeasurement MeasureStarted(TracerProcess process, TracerSpec tracer, RunMeasurement result, OutputSink sink, ChurnOptions churn, string stdoutPath)
    {
        string? notReady = WaitUntilAttached(process, out HashSet<uint> programIds);
        if (notReady is not null)
            return result with { Failure = NotReady(process, notReady) };
        double attachMs = (Stopwatch.GetTimestamp() - process.StartTimestamp) * 1000.0 / Stopwatch.Frequency;

        // Ready means attached; the rest of start-up (verifier, page faults, …) must not count as per-event cost.
        WaitForIdle(process.Pid, TimeSpan.FromSeconds(5));
        programIds.UnionWith(ProcessProbe.BpfPrograms(process.Pid).ProgramIds);
        BpfRunCounters bpfBefore = BpfRunStatistics.Read(programIds);
        long cpuBefore = ProcessProbe.CpuNanoseconds(process.Pid);

        ChurnResult churnResult;
        TimeSpan harnessBefore = Environment.CpuUsage.TotalTime;
        try
        {
            churnResult = LoadProcess.Run(churn);
        }
        catch (InvalidOperationException e)
        {
            return result with { Failure = e.Message };
        }

        // The harness's own CPU (it reads the pipe sink) is not someone else's either.
        long ownCpuInWindow = ProcessProbe.CpuNanoseconds(process.Pid) - cpuBefore
            + (long)(Environment.CpuUsage.TotalTime - harnessBefore).TotalNanoseconds;

        // Let the last retransmitted segments land (their state changes belong to this run), then let the
        // tracer drain what the churn produced, and read the counters while it still lives.
        TcpSocketTable.WaitUntilSettled(churnResult.Port, TimeSpan.FromSeconds(5));
        WaitForIdle(process.Pid, TimeSpan.FromSeconds(20));
        BpfRunCounters bpf = BpfRunStatistics.Read(programIds) - bpfBefore;
        long peakRss = ProcessProbe.PeakRssKiB(process.Pid);

        process.Signal(Native.SigInt);
        if (!process.WaitForExit(StopTimeout))
        {
            string where = ProcessProbe.Describe(process.Pid);
            process.Signal(Native.SigKill);
            process.WaitForExit(StopTimeout);
            string stderr = TracerProcess.OneLine(TracerProcess.Tail(process.ReadStderr(), 300));
            return result with { Churn = churnResult, Failure = $"did not exit within 10 s of SIGINT ({where}; stderr: {stderr})" };
        }
        long cpu = process.Usage.CpuNanoseconds - cpuBefore;
        // Not ru_maxrss: posix_spawn's child starts in the harness's address space (CLONE_VM), and exec
        // carries that mm's high-water mark into the child's rusage.

        TracerOutputScanner? scanner = process.PipeScanner;
        if (!tracer.HasOutput)
            scanner = null;
        else if (sink == OutputSink.File)
            scanner = TracerOutputScanner.FromFile(stdoutPath, untilZero: false);
        else if (sink == OutputSink.Cached)
            scanner = CachedOutputFile.Scan(stdoutPath);

        return result with
        {
            Churn = churnResult,
            Disturbance = Disturbance(churnResult, ownCpuInWindow),
            Bpf = programIds.Count > 0 ? bpf : null,
            TracerCpuNs = cpu,
            AttachMs = attachMs,
            EventLines = scanner?.EventLines,
            WorkloadLines = scanner?.LinesWithPort(churnResult.Port),
            WorkloadOutOfChain = scanner?.OutOfChainWithPort(churnResult.Port),
            Lost = LostEventReport.Sum(process.ReadStderr()),
            PeakRssKiB = peakRss,
            ExitDescription = process.ExitDescription,
        };
    }

    /// <summary>
    /// Ready to measure = BPF program loaded and attached (a bpf_link or perf event fd): whatever the
    /// sink, since the header is not visible on a pipe or file until stdio flushes it. Returns why it
    /// never got there, or null.
    /// </summary>
    internal static string? WaitUntilAttached(TracerProcess process, out HashSet<uint> programIds)
    {
        programIds = [];
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < ReadyTimeout)
        {
            var (ids, attached) = ProcessProbe.BpfPrograms(process.Pid);
            if (ids.Count > 0 && attached)
            {
                programIds = ids;
                return null;
            }
            if (process.PollExit())
                return "exited before it attached";
            Thread.Sleep(2);
        }
        return $"not attached after {ReadyTimeout.TotalSeconds:0} s";
    }

    /// <summary>
    /// Waits until the process used less than 2% of a CPU over 50 ms and none of its threads is
    /// runnable at the end of it (it sleeps in poll).
    /// </summary>
    internal static void WaitForIdle(int pid, TimeSpan max)
    {
        var window = TimeSpan.FromMilliseconds(50);
        var clock = Stopwatch.StartNew();
        long last = ProcessProbe.CpuNanoseconds(pid);
        while (clock.Elapsed < max)
        {
            Thread.Sleep(window);
            long now = ProcessProbe.CpuNanoseconds(pid);
            if (now - last < window.TotalNanoseconds * 0.02 && ProcessProbe.AllThreadsSleeping(pid))
                return;
            last = now;
        }
    }

    /// <summary>From the host counters the load took over its own window, less its CPU and ours (tracer and harness).</summary>
    private static RunDisturbance? Disturbance(ChurnResult churn, long ownCpuNs) =>
        churn.Machine is { } window && churn.CpuNs is long loadCpu
            ? RunDisturbance.From(window, churn.ElapsedNs, loadCpu, ownCpuNs)
            : null;
}
