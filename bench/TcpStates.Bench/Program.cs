using System.CommandLine;
using TcpStates.Bench.Harness;
using TcpStates.Bench.Load;
using TcpStates.Bench.Tracers;

namespace TcpStates.Bench;

internal static class Program
{
    private static int Main(string[] args)
    {
        var churn = new ChurnOptionSet();
        var rounds = new Option<int>("--rounds") { Description = "alternating rounds; the table shows medians", DefaultValueFactory = _ => 5 };
        var sinks = new Option<string>("--sinks") { Description = "tracer stdout per run: file, cached (a file already in the page cache), null, pipe (comma-separated)", DefaultValueFactory = _ => "file,cached,null,pipe" };
        var tracers = new Option<string>("--tracers") { Description = "columns: ours, limit (empty tp_btf program), anchor, none, c-loop (minimal C load, untraced) (comma-separated)", DefaultValueFactory = _ => "ours,limit,anchor,none,c-loop" };
        var ours = new Option<string?>("--ours") { Description = "our tracer binary (default: publish/tcpstates, published when missing or stale)" };
        var noPublish = new Option<bool>("--no-publish") { Description = "never run dotnet publish for ours" };
        var anchor = new Option<string>("--anchor") { Description = "libbpf-tools tcpstates", DefaultValueFactory = _ => "/usr/sbin/tcpstates" };
        var maxRounds = new Option<int>("--max-rounds") { Description = "add rounds, one at a time, until --min-steady are steady or this many ran (default: rounds + 6)" };
        var minSteady = new Option<int>("--min-steady") { Description = "steady rounds the speed figure needs", DefaultValueFactory = _ => 3 };
        var margin = new Option<double>("--margin") { Description = "an untraced round more than this fraction off the median is unsteady", DefaultValueFactory = _ => 0.15 };
        var maxForeign = new Option<double>("--max-foreign-cores") { Description = "a run during which other processes used more CPU (cores) is unsteady", DefaultValueFactory = _ => 0.3 };
        var maxSteal = new Option<double>("--max-steal") { Description = "a run during which the hypervisor took more of the CPU time (a fraction) is unsteady", DefaultValueFactory = _ => 0.02 };
        var curve = new Option<double>("--curve-seconds") { Description = "seconds per step of the cost curve (idle, 1k, 10k, 100k events/s, max); 0 skips it", DefaultValueFactory = _ => 5 };
        var starts = new Option<int>("--starts") { Description = "start-up probes (time to header) per tracer and round, interleaved", DefaultValueFactory = _ => 5 };
        var calibration = new Option<int>("--calibrate-count") { Description = "slow connections to count events per connection", DefaultValueFactory = _ => 200 };

        var root = new RootCommand("Measures tcpstates tracers against connection churn on loopback (see bench/README.md).");
        churn.AddTo(root, withPace: false);
        foreach (Option o in new Option[] { rounds, sinks, tracers, ours, noPublish, anchor, calibration, maxRounds, minSteady, margin, maxForeign, maxSteal, curve, starts })
            root.Options.Add(o);
        root.SetAction(result =>
        {
            var options = new BenchOptions(
                churn.Bind(result),
                Math.Max(1, result.GetValue(rounds)),
                Split(result.GetValue(sinks)!).Select(s => Enum.Parse<OutputSink>(s, ignoreCase: true)).ToList(),
                Split(result.GetValue(tracers)!),
                result.GetValue(ours),
                !result.GetValue(noPublish),
                result.GetValue(anchor)!,
                result.GetValue(calibration))
            {
                Steadiness = new Steadiness.SteadinessLimits(
                    Margin: result.GetValue(margin),
                    MaxForeignCores: result.GetValue(maxForeign),
                    MaxStealFraction: result.GetValue(maxSteal),
                    MinSteadyRounds: Math.Max(1, result.GetValue(minSteady))),
                MaxRounds = result.GetValue(maxRounds) is > 0 and int m ? m : Math.Max(1, result.GetValue(rounds)) + 6,
                CurveSeconds = Math.Max(0, result.GetValue(curve)),
                Starts = Math.Max(1, result.GetValue(starts)),
            };
            return new BenchRunner(options).Run();
        });

        var loadChurn = new ChurnOptionSet();
        var load = new Command("load", "Run the connection churn once and print a 'result …' line (used by the harness).");
        loadChurn.AddTo(load, withPace: true);
        load.SetAction(result =>
        {
            ChurnResult r = new ChurnGenerator(loadChurn.Bind(result)).Run();
            Console.WriteLine(r.Format());
            return 0;
        });
        root.Subcommands.Add(load);

        var objectPath = new Argument<string>("object") { Description = "the compiled bench/reference/limit.bpf.c (or floor.bpf.c)" };
        var programName = new Argument<string>("program") { Description = "the program to attach (floor.bpf.c's: see there)", DefaultValueFactory = _ => Limit.LimitTracer.ProgramName };
        var limit = new Command("limit", "Attach the empty tp_btf program (the limit), or one of floor.bpf.c's and drain its rings, until SIGINT (used by the harness and bench/program-floor).");
        limit.Arguments.Add(objectPath);
        limit.Arguments.Add(programName);
        limit.SetAction(result => Limit.LimitTracer.Run(result.GetValue(objectPath)!, result.GetValue(programName)!));
        root.Subcommands.Add(limit);

        return root.Parse(args).Invoke();
    }

    private static List<string> Split(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
