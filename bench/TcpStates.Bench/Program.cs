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
        var sinks = new Option<string>("--sinks") { Description = "tracer stdout per run: file, null, pipe (comma-separated)", DefaultValueFactory = _ => "file,null,pipe" };
        var tracers = new Option<string>("--tracers") { Description = "columns: ours, anchor, none (comma-separated)", DefaultValueFactory = _ => "ours,anchor,none" };
        var ours = new Option<string?>("--ours") { Description = "our tracer binary (default: publish/tcpstates, published when missing or stale)" };
        var noPublish = new Option<bool>("--no-publish") { Description = "never run dotnet publish for ours" };
        var anchor = new Option<string>("--anchor") { Description = "libbpf-tools tcpstates", DefaultValueFactory = _ => "/usr/sbin/tcpstates" };
        var calibration = new Option<int>("--calibrate-count") { Description = "slow connections to count events per connection", DefaultValueFactory = _ => 200 };

        var root = new RootCommand("Measures tcpstates tracers against connection churn on loopback (see bench/README.md).");
        churn.AddTo(root, withPace: false);
        foreach (Option o in new Option[] { rounds, sinks, tracers, ours, noPublish, anchor, calibration })
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
                result.GetValue(calibration));
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

        return root.Parse(args).Invoke();
    }

    private static List<string> Split(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
