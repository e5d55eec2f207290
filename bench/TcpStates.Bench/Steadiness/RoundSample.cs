namespace TcpStates.Bench.Steadiness;

/// <summary>One round as the judge sees it: its untraced pace and what disturbed any of its runs.</summary>
internal sealed record RoundSample(int Round, double? UntracedPerSecond, IReadOnlyList<string> RunReasons);
