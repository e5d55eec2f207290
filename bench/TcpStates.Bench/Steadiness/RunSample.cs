using TcpStates.Bench.Tracers;

namespace TcpStates.Bench.Steadiness;

/// <summary>One run as the judge sees it: whose, in which round and sink, its pace, and what disturbed it.</summary>
/// <param name="Tracer">The tracer's name; <see cref="TracerSpec.NoneName"/> for the run with none.</param>
internal sealed record RunSample(int Round, string Tracer, OutputSink Sink, double? PerSecond, IReadOnlyList<string> Reasons);
