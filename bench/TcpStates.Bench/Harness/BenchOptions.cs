using TcpStates.Bench.Load;
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
    int CalibrationConnections);
