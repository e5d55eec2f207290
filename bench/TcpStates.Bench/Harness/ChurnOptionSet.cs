using System.CommandLine;
using TcpStates.Bench.Load;

namespace TcpStates.Bench.Harness;

/// <summary>The command-line options that describe the churn, shared by the harness and <c>load</c>.</summary>
internal sealed class ChurnOptionSet
{
    public Option<int> Count { get; } = new("--count") { Description = "connections per run", DefaultValueFactory = _ => 20_000 };

    public Option<double> Duration { get; } = new("--duration") { Description = "at most this many seconds per run", DefaultValueFactory = _ => 60 };

    public Option<int> Workers { get; } = new("--workers") { Description = "client workers (and as many acceptors)", DefaultValueFactory = _ => Environment.ProcessorCount };

    public Option<CloseMode> Mode { get; } = new("--mode") { Description = "graceful (FIN both ways) or reset (SO_LINGER 0)", DefaultValueFactory = _ => CloseMode.Graceful };

    public Option<int> Family { get; } = new("--family") { Description = "4 (127.0.0.1) or 6 (::1)", DefaultValueFactory = _ => 4 };

    public Option<double> PaceMs { get; } = new("--pace-ms") { Description = "pause after each connection per worker", DefaultValueFactory = _ => 0 };

    public Option<double> Rate { get; } = new("--rate") { Description = "connections per second over all workers (0: as fast as they go)", DefaultValueFactory = _ => 0 };

    public void AddTo(Command command, bool withPace)
    {
        command.Options.Add(Count);
        command.Options.Add(Duration);
        command.Options.Add(Workers);
        command.Options.Add(Mode);
        command.Options.Add(Family);
        if (withPace)
        {
            command.Options.Add(PaceMs);
            command.Options.Add(Rate);
        }
        Family.AcceptOnlyFromAmong("4", "6");
    }

    public ChurnOptions Bind(ParseResult result) => new(
        result.GetValue(Count),
        TimeSpan.FromSeconds(result.GetValue(Duration)),
        Math.Max(1, result.GetValue(Workers)),
        result.GetValue(Mode),
        result.GetValue(Family) == 6,
        TimeSpan.FromMilliseconds(result.GetValue(PaceMs)))
    {
        Rate = Math.Max(0, result.GetValue(Rate)),
    };
}
