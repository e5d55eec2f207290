using TcpStates.Bench.Tracers;

namespace TcpStates.Bench.Steadiness;

/// <summary>
/// Which traced runs count toward the speed figure (<see cref="Counted"/>: a run and its round's untraced run of the
/// same sink, both steady), how many each tracer and sink has, why the others do not count, and whether that is enough.
/// </summary>
internal sealed record SteadinessVerdict(
    IReadOnlySet<(int Round, string Tracer, OutputSink Sink)> Counted,
    IReadOnlyDictionary<(string Tracer, OutputSink Sink), int> CountedPerColumn,
    IReadOnlyList<string> LeftOut,
    double? UntracedSpread,
    bool Enough)
{
    /// <summary>Nothing left out: the machine kept its pace through the sitting.</summary>
    public bool MachineSteady => LeftOut.Count == 0;

    /// <summary>The fewest steady pairs any tracer and sink has.</summary>
    public int FewestCounted => CountedPerColumn.Count == 0 ? 0 : CountedPerColumn.Values.Min();
}
