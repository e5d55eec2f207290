using System.Diagnostics;
using System.Globalization;
using TcpStates.Bench.Interop;
using TcpStates.Bench.Load;
using TcpStates.Bench.Measurement;
using TcpStates.Bench.Tracers;

namespace TcpStates.Bench.Harness;

/// <summary>
/// How each tracer's cost grows with the event rate: one tracer process kept running (stdout to a
/// file) through an idle window with no load of ours, paced churns of 1k, 10k and 100k state changes
/// per second, and the unpaced maximum. Per step: the tracer's CPU (% of one core), its programs'
/// kernel time per change, and its wakeups per second.
/// </summary>
internal sealed class CostCurve(SingleRun run, double seconds, double eventsPerConnection)
{
    private static readonly (string Step, double EventsPerSecond)[] Steps = [("idle", 0), ("1k/s", 1_000), ("10k/s", 10_000), ("100k/s", 100_000), ("max", double.PositiveInfinity)];

    public IReadOnlyList<CostCurvePoint> Measure(IReadOnlyList<TracerSpec> tracers)
    {
        var points = new List<CostCurvePoint>();
        foreach (TracerSpec tracer in tracers)
            points.AddRange(MeasureOne(tracer));
        return points;
    }

    private IEnumerable<CostCurvePoint> MeasureOne(TracerSpec tracer)
    {
        string stdoutPath = Path.Combine(run.WorkDirectory, $"{tracer.Name}-curve.out");
        string stderrPath = Path.Combine(run.WorkDirectory, $"{tracer.Name}-curve.err");
        var points = new List<CostCurvePoint>();
        try
        {
            using var process = TracerProcess.Start(tracer.Path!, tracer.Arguments, OutputSink.File, stdoutPath, stderrPath);
            if (SingleRun.WaitUntilAttached(process, out HashSet<uint> programIds) is string notReady)
                return [new CostCurvePoint(tracer.Name, "all", 0, 0, 0, null, 0, SingleRun.NotReady(process, notReady))];
            SingleRun.WaitForIdle(process.Pid, TimeSpan.FromSeconds(5));
            programIds.UnionWith(ProcessProbe.BpfPrograms(process.Pid).ProgramIds);

            foreach (var (step, eventsPerSecond) in Steps)
            {
                CostCurvePoint point = MeasureStep(process, tracer.Name, programIds, step, eventsPerSecond);
                points.Add(point);
                Console.Error.WriteLine(Describe(point));
                // The file grows by every event; start each step from an empty one.
                File.WriteAllBytes(stdoutPath, []);
            }
            process.Signal(Native.SigInt);
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Signal(Native.SigKill);
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
            return points;
        }
        finally
        {
            File.Delete(stdoutPath);
            File.Delete(stderrPath);
        }
    }

    private CostCurvePoint MeasureStep(TracerProcess process, string tracer, HashSet<uint> programIds, string step, double eventsPerSecond)
    {
        BpfRunCounters bpfBefore = BpfRunStatistics.Read(programIds);
        long cpuBefore = ProcessProbe.CpuNanoseconds(process.Pid);
        long switchesBefore = ProcessProbe.ContextSwitches(process.Pid);
        long windowNs;
        double loadEvents = 0;
        if (eventsPerSecond == 0)
        {
            // Idle: no load of ours; other traffic on the host still reaches the tracer, and shows in events/s.
            var clock = Stopwatch.StartNew();
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            windowNs = (long)clock.Elapsed.TotalNanoseconds;
        }
        else
        {
            ChurnOptions churn = LoadFor(eventsPerSecond);
            ChurnResult result;
            try
            {
                result = LoadProcess.Run(churn);
            }
            catch (InvalidOperationException e)
            {
                return new CostCurvePoint(tracer, step, 0, 0, 0, null, 0, e.Message);
            }
            // The drain belongs to the step: the tracer's work for these events, billed to the load's window.
            TcpSocketTable.WaitUntilSettled(result.Port, TimeSpan.FromSeconds(5));
            SingleRun.WaitForIdle(process.Pid, TimeSpan.FromSeconds(20));
            windowNs = result.ElapsedNs;
            loadEvents = result.Connections * eventsPerConnection;
        }
        BpfRunCounters bpf = BpfRunStatistics.Read(programIds) - bpfBefore;
        long cpu = ProcessProbe.CpuNanoseconds(process.Pid) - cpuBefore;
        long switches = ProcessProbe.ContextSwitches(process.Pid) - switchesBefore;
        double window = Math.Max(1, windowNs) / 1e9;
        return new CostCurvePoint(
            tracer, step,
            bpf.Events / window,
            loadEvents / window,
            cpu / 1e9 / window * 100,
            bpf.Events > 0 ? bpf.RunTimeNs / (double)bpf.Events : null,
            switches / window);
    }

    private ChurnOptions LoadFor(double eventsPerSecond)
    {
        const int workers = 2;
        if (double.IsPositiveInfinity(eventsPerSecond))
            return new ChurnOptions(int.MaxValue, TimeSpan.FromSeconds(seconds), workers, CloseMode.Graceful, false, TimeSpan.Zero);
        var schedule = new PacedSchedule(PacedSchedule.ForEvents(eventsPerSecond, eventsPerConnection), workers);
        // The count ends the run on its grid; the duration only bounds a machine that cannot keep up.
        return new ChurnOptions(Math.Max(1, schedule.CountFor(seconds)), TimeSpan.FromSeconds(seconds * 3), workers, CloseMode.Graceful, false, TimeSpan.Zero)
        {
            Rate = schedule.ConnectionsPerSecond,
        };
    }

    private static string Describe(CostCurvePoint p) => p.Failure is not null
        ? $"curve {p.Tracer,-6} {p.Step,-6} FAILED: {p.Failure}"
        : string.Create(CultureInfo.InvariantCulture,
            $"curve {p.Tracer,-6} {p.Step,-6} {p.EventsPerSecond,9:0} events/s ({p.LoadEventsPerSecond:0} ours), cpu {p.CpuPercent:0.00}% of a core, bpf {p.BpfNsPerEvent?.ToString("0", CultureInfo.InvariantCulture) ?? "-"} ns/event, {p.WakeupsPerSecond:0.0} wakeups/s");

    public static void Print(TextWriter output, IReadOnlyList<CostCurvePoint> points)
    {
        output.WriteLine();
        output.WriteLine("cost curve (one run per step, stdout to a file; events/s: the programs' calls, any traffic on the host; load ev/s: our load's):");
        output.WriteLine($"{"tracer",-7} {"step",-7} {"events/s",10} {"load ev/s",10} {"CPU % core",11} {"BPF ns/ev",10} {"wakeups/s",10}");
        foreach (CostCurvePoint p in points)
        {
            output.WriteLine(p.Failure is not null
                ? $"{p.Tracer,-7} {p.Step,-7} FAILED: {p.Failure}"
                : string.Create(CultureInfo.InvariantCulture,
                    $"{p.Tracer,-7} {p.Step,-7} {p.EventsPerSecond,10:0} {p.LoadEventsPerSecond,10:0} {p.CpuPercent,11:0.00} {p.BpfNsPerEvent?.ToString("0", CultureInfo.InvariantCulture) ?? "-",10} {p.WakeupsPerSecond,10:0.0}"));
        }
    }
}
