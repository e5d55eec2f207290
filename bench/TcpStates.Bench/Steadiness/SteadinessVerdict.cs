namespace TcpStates.Bench.Steadiness;

/// <summary>Which rounds count toward the speed figure, why the others do not, and whether that is enough.</summary>
internal sealed record SteadinessVerdict(
    IReadOnlySet<int> SteadyRounds,
    IReadOnlyDictionary<int, string> UnsteadyRounds,
    double? UntracedSpread,
    bool Enough)
{
    /// <summary>Every round steady: the machine kept its pace through the sitting.</summary>
    public bool MachineSteady => UnsteadyRounds.Count == 0;
}
