using TcpStates.Bench.Load;
using TcpStates.Bench.Steadiness;
using TcpStates.Bench.Tracers;

namespace TcpStates.Bench.Harness;

/// <summary>What the harness compares and how often.</summary>
internal sealed record BenchOptions(
    ChurnOptions Churn,
    int Rounds,
    IReadOnlyList<OutputSink> Sinks,
    IReadOnlyList<string> Tracers,
    string? OursPath,
    bool PublishOurs,
    string AnchorPath,
    int CalibrationConnections)
{
    /// <summary>When a round counts as steady, and how many must.</summary>
    public SteadinessLimits Steadiness { get; init; } = new();

    /// <summary>Rounds are added, one at a time, until enough are steady or this many were run.</summary>
    public int MaxRounds { get; init; }

    /// <summary>Start-up probes per tracer and round, interleaved: a median of a few starts says little on a noisy host.</summary>
    public int Starts { get; init; } = 5;

    /// <summary>Seconds per step of the cost curve (idle, paced rates, maximum); 0 skips it.</summary>
    public double CurveSeconds { get; init; }
}
