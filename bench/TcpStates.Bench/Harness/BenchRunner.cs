using System.Globalization;
using TcpStates.Bench.Load;
using TcpStates.Bench.Measurement;
using TcpStates.Bench.Reference;
using TcpStates.Bench.Steadiness;
using TcpStates.Bench.Report;
using TcpStates.Bench.Tracers;

namespace TcpStates.Bench.Harness;

/// <summary>
/// Alternates the tracers round after round (ours, anchor, none, ours, anchor, none, …) per output
/// sink, so that the noise of a shared machine falls on all columns alike, then prints medians.
/// </summary>
internal sealed class BenchRunner(BenchOptions options)
{
    public int Run()
    {
        var tracers = ResolveTracers();
        if (tracers.Count == 0)
        {
            Console.Error.WriteLine("bench: nothing to measure");
            return 1;
        }
        string? anchorPath = tracers.FirstOrDefault(t => t.Name == TracerSpec.AnchorName)?.Path;
        var facts = MachineFacts.Collect(anchorPath).ToList();
        foreach (var (name, value) in facts)
            Console.WriteLine($"{name,-22} {value}");
        Console.WriteLine($"{"workload",-22} {options.Churn.Describe()}");
        Console.WriteLine($"{"rounds",-22} {options.Rounds} (medians), more up to {options.MaxRounds} until each tracer and sink has {options.Steadiness.MinSteadyRounds} steady pairs; sinks: {string.Join(", ", options.Sinks).ToLowerInvariant()}; {options.Starts} start-up probes per tracer and round");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"steady means",-22} untraced within {options.Steadiness.Margin:0%} of the median, others' CPU <= {options.Steadiness.MaxForeignCores:0.00} cores, steal <= {options.Steadiness.MaxStealFraction:0%}, retransmits <= {options.Steadiness.MaxRetransmits}, no listen overflows"));
        Console.WriteLine($"{"lost-events regex",-22} {LostEventReport.PatternText}");
        Console.WriteLine();

        var work = Directory.CreateTempSubdirectory("tcpstates-bench-");
        var failed = new Dictionary<string, string>(StringComparer.Ordinal);
        var measurements = new List<RunMeasurement>();
        SteadinessVerdict? verdict = null;
        IReadOnlyList<CostCurvePoint>? curve = null;
        try
        {
            using var stats = BpfRunStatistics.Enable();
            var run = new SingleRun(work.FullName);
            tracers = BuildNativeTracers(tracers, work.FullName);
            double eventsPerConnection = Calibrate(run, tracers, failed);

            void RunRound(int round)
            {
                for (int start = 0; start < options.Starts; start++)
                {
                    foreach (TracerSpec tracer in tracers.Where(t => !t.IsNone && t.HasOutput && !failed.ContainsKey(t.Name)))
                    {
                        RunMeasurement m = run.MeasureStartup(tracer, round);
                        measurements.Add(m);
                        Console.Error.WriteLine(Progress(m, eventsPerConnection));
                        if (!m.Succeeded)
                            failed[tracer.Name] = m.Failure ?? "failed";
                    }
                }
                foreach (OutputSink sink in options.Sinks)
                {
                    foreach (TracerSpec tracer in tracers)
                    {
                        if (failed.ContainsKey(tracer.Name))
                            continue;
                        // The C loop measures the machine, not a sink: once per round.
                        if (tracer.ReferenceLoop is not null && sink != options.Sinks[0])
                            continue;
                        RunMeasurement m = run.Measure(tracer, sink, options.Churn, round);
                        measurements.Add(m);
                        Console.Error.WriteLine(Progress(m, eventsPerConnection));
                        // A tracer that never got to trace is left out from then on; one that traced
                        // but failed later (e.g. at SIGINT) keeps its place in the next rounds.
                        if (!m.Succeeded && !tracer.IsNone && m.Churn is null)
                            failed[tracer.Name] = m.Failure ?? "failed";
                    }
                }
            }

            int rounds = 0;
            while (rounds < options.Rounds)
                RunRound(++rounds);
            verdict = Judge(measurements);
            // A speed figure from too few steady rounds is no figure: add rounds, up to the bound.
            while (!verdict.Enough && rounds < options.MaxRounds)
            {
                Console.Error.WriteLine($"steady pairs at least {verdict.FewestCounted} per tracer and sink after {rounds} rounds, {options.Steadiness.MinSteadyRounds} needed: adding round {rounds + 1} (at most {options.MaxRounds})");
                RunRound(++rounds);
                verdict = Judge(measurements);
            }

            if (options.CurveSeconds > 0)
                curve = new CostCurve(run, options.CurveSeconds, eventsPerConnection).Measure(tracers.Where(t => !t.IsNone && !failed.ContainsKey(t.Name)).ToList());

            Console.WriteLine();
            ResultTable.Print(Console.Out, measurements, tracers.Select(t => t.Name).ToList(), [.. options.Sinks, OutputSink.Terminal], eventsPerConnection, verdict!.Counted);
            PrintVerdict(verdict, measurements);
            if (curve is not null)
                CostCurve.Print(Console.Out, curve);
        }
        finally
        {
            work.Delete(recursive: true);
        }
        foreach (var (name, why) in failed)
            Console.WriteLine($"{name}: not measured: {why}");
        foreach (RunMeasurement m in measurements.Where(m => !m.Succeeded && !failed.ContainsKey(m.Tracer)))
            Console.WriteLine($"{m.Tracer}: round {m.Round} {m.Sink.ToString().ToLowerInvariant()} left out: {m.Failure}");
        return 0;
    }

    private List<TracerSpec> ResolveTracers()
    {
        var list = new List<TracerSpec>();
        foreach (string name in options.Tracers)
        {
            switch (name)
            {
                case TracerSpec.OursName:
                    string? problem = null;
                    string? ours = options.OursPath ?? OursBinary.Resolve(options.PublishOurs, out problem);
                    if (ours is null)
                        Console.WriteLine($"ours: not measured: {problem}");
                    else
                        list.Add(new TracerSpec(name, Path.GetFullPath(ours), []));
                    break;
                case TracerSpec.AnchorName:
                    if (File.Exists(options.AnchorPath))
                        list.Add(new TracerSpec(name, options.AnchorPath, []));
                    else
                        Console.WriteLine($"anchor: ABSENT: {options.AnchorPath} not found (apt-get install libbpf-tools); measuring ours only");
                    break;
                case TracerSpec.NoneName:
                    list.Add(new TracerSpec(name, null, []));
                    break;
                case TracerSpec.LimitName:
                    list.Add(new TracerSpec(name, SelfCommand.Executable, []) { HasOutput = false });
                    break;
                case TracerSpec.ReferenceName:
                    list.Add(new TracerSpec(name, null, []) { ReferenceLoop = "" });
                    break;
                default:
                    throw new ArgumentException($"unknown tracer '{name}' (ours, limit, anchor, none, c-loop)");
            }
        }
        return list;
    }

    /// <summary>
    /// Counts the events one connection causes: a small, slow churn traced without pressure by every
    /// tracer that works. A tracer can lose events but not invent them (the table would show it as
    /// printing more than caused), so the largest count is the truth; the known transitions are printed
    /// beside it. Falls back to those when no tracer runs.
    /// </summary>
    private double Calibrate(SingleRun run, List<TracerSpec> tracers, Dictionary<string, string> failed)
    {
        int expected = options.Churn.ExpectedEventsPerConnection;
        var slow = options.Churn with
        {
            Count = options.CalibrationConnections,
            Workers = 1,
            Pace = TimeSpan.FromMilliseconds(1),
            Duration = TimeSpan.FromSeconds(60),
        };
        var counts = new List<string>();
        double? best = null;
        foreach (TracerSpec tracer in tracers.Where(t => !t.IsNone && t.HasOutput))
        {
            RunMeasurement m = run.Measure(tracer, OutputSink.Pipe, slow, round: 0);
            if (!m.Succeeded || m.WorkloadLines is null || m.Churn!.Connections == 0)
            {
                failed[tracer.Name] = m.Failure ?? "no output";
                Console.WriteLine($"calibration with {tracer.Name} failed: {m.Failure}");
                continue;
            }
            double perConnection = (m.WorkloadLines.Value - 2) / (double)m.Churn.Connections;
            counts.Add(string.Create(CultureInfo.InvariantCulture,
                $"{tracer.Name} {perConnection:0.###} ({m.WorkloadLines} lines over {m.Churn.Connections} connections, reported lost {m.Lost ?? 0})"));
            best = Math.Max(best ?? 0, perConnection);
        }
        if (best is double found)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"events per connection",-22} {found:0.###}: the most any tracer printed over slow connections, the listener's 2 lines aside (expected {expected}); {string.Join("; ", counts)}"));
            return found;
        }
        Console.WriteLine($"{"events per connection",-22} {expected} (known transitions; no tracer to count them)");
        return expected;
    }

    /// <summary>
    /// Compiles what the limit and the C loop need (bench/reference) and fills in their command
    /// lines; a column whose source does not build is left out with the reason.
    /// </summary>
    private static List<TracerSpec> BuildNativeTracers(List<TracerSpec> tracers, string directory)
    {
        var built = new List<TracerSpec>();
        foreach (TracerSpec t in tracers)
        {
            string? problem = null;
            if (t.Name == TracerSpec.LimitName)
            {
                if (NativeBuild.LimitObject(directory, out problem) is string obj)
                    built.Add(t with { Arguments = [.. SelfCommand.LeadingArguments, "limit", obj] });
            }
            else if (t.Name == TracerSpec.ReferenceName)
            {
                if (NativeBuild.ChurnLoop(directory, out problem) is string loop)
                    built.Add(t with { ReferenceLoop = loop });
            }
            else
            {
                built.Add(t);
            }
            if (problem is not null)
                Console.WriteLine($"{t.Name}: not measured: {problem}");
        }
        return built;
    }

    private SteadinessVerdict Judge(List<RunMeasurement> measurements)
    {
        var runs = measurements
            .Where(m => m.Round > 0 && m.Sink != OutputSink.Terminal && m.Tracer != TracerSpec.ReferenceName && m.Succeeded)
            .Select(m => new RunSample(m.Round, m.Tracer, m.Sink, m.Churn?.ConnectionsPerSecond,
                m.Disturbance?.Reasons(options.Steadiness, traced: m.Tracer != TracerSpec.NoneName).ToList() ?? []))
            .ToList();
        return SteadinessJudge.Judge(runs, options.Steadiness);
    }

    private void PrintVerdict(SteadinessVerdict verdict, List<RunMeasurement> measurements)
    {
        string spread = verdict.UntracedSpread is double s ? string.Create(CultureInfo.InvariantCulture, $"untraced runs spread {s:0%} (fastest ÷ slowest − 1)") : "no untraced runs";
        string counts = string.Join(", ", verdict.CountedPerColumn.OrderBy(p => p.Key.Tracer, StringComparer.Ordinal).ThenBy(p => p.Key.Sink)
            .Select(p => $"{p.Key.Tracer} {p.Key.Sink.ToString().ToLowerInvariant()} {p.Value}"));
        int rounds = measurements.Where(m => m.Round > 0).Select(m => m.Round).DefaultIfEmpty().Max();
        Console.WriteLine();
        Console.WriteLine((verdict.MachineSteady ? $"machine: steady ({spread})" : $"machine: UNSTEADY ({spread})")
            + (counts.Length > 0 ? $"; speed from the steady pairs of {rounds} rounds: {counts}" : "; no traced runs")
            + (verdict.Enough ? "" : $"; FEWER than the {options.Steadiness.MinSteadyRounds} needed for some: the speed figure is not to be trusted"));
        foreach (string why in verdict.LeftOut)
            Console.WriteLine($"  left out: {why}");

        // The load against the minimal C loop in the same round: whether the generator keeps up with what the machine gives.
        var pairs = measurements.Where(m => m.Succeeded && m.Tracer == TracerSpec.ReferenceName && m.Churn is not null)
            .Select(c => (c.Churn!.ConnectionsPerSecond, Load: ResultTable.Median(measurements.Where(n => n.Succeeded && n.Round == c.Round && n.Tracer == TracerSpec.NoneName).Select(n => n.Churn?.ConnectionsPerSecond))))
            .Where(p => p.Load is > 0 && p.ConnectionsPerSecond > 0)
            .Select(p => (double?)(p.Load!.Value / p.ConnectionsPerSecond)).ToList();
        if (ResultTable.Median(pairs) is double ratio)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"load ÷ C loop (untraced, same round): {ratio:0.00} median [{pairs.Min():0.00}–{pairs.Max():0.00}]"));
    }

    private static string Progress(RunMeasurement m, double eventsPerConnection)
    {
        string head = $"round {m.Round} {m.Sink.ToString().ToLowerInvariant(),-8} {m.Tracer,-6}";
        if (!m.Succeeded)
            return $"{head} FAILED: {m.Failure}";
        var parts = new List<string>();
        if (m.Churn is { } c)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{c.Connections} conn in {c.ElapsedNs / 1e6:0} ms = {c.ConnectionsPerSecond:0}/s"));
            if (c.Failures > 0)
                parts.Add($"{c.Failures} failed connects (first {c.FirstError})");
        }
        if (m.Bpf is { Events: > 0 } b)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"bpf {b.RunTimeNs / (double)b.Events:0} ns x {b.Events} ({b.RecursionMisses} recursion misses)"));
        if (m.TracerCpuNs is long cpu)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"cpu {cpu / 1e6:0} ms"));
        if (m.WorkloadLines is long lines)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"printed {lines}/{m.CausedEvents(eventsPerConnection):0} (+{m.EventLines - lines} other)"));
        if (m.WorkloadOutOfChain is long outOfChain)
            parts.Add($"{outOfChain} out of chain");
        if (m.Lost is long lost)
            parts.Add($"lost {lost}");
        if (m.AttachMs is double attach)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"attached {attach:0.0} ms"));
        if (m.ReadyMs is double ready)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"header {ready:0.0} ms"));
        if (m.Disturbance is { } d)
            parts.Add(d.Describe());
        if (m.PeakRssKiB is long rss)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"rss {rss / 1024.0:0.0} MB"));
        return $"{head} {string.Join(", ", parts)}";
    }
}
