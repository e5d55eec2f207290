namespace TcpStates.Bench.Harness;

/// <summary>One step of the cost curve for one tracer: idle, a paced rate, or the maximum.</summary>
/// <param name="Tracer">The column.</param>
/// <param name="Step">"idle", "1k/s", "10k/s", "100k/s" or "max".</param>
/// <param name="EventsPerSecond">State changes per second the kernel ran the programs for (their Δrun_cnt over the window); 0 idle.</param>
/// <param name="LoadEventsPerSecond">State changes per second our load made (connections × events per connection ÷ its elapsed time); 0 idle.</param>
/// <param name="CpuPercent">Tracer user+sys CPU over the window, % of one core.</param>
/// <param name="BpfNsPerEvent">Kernel run time of its programs per state change (null with none).</param>
/// <param name="WakeupsPerSecond">Context switches of its threads per second of the window.</param>
/// <param name="Failure">Why the step has no numbers.</param>
internal sealed record CostCurvePoint(string Tracer, string Step, double EventsPerSecond, double LoadEventsPerSecond, double CpuPercent, double? BpfNsPerEvent, double WakeupsPerSecond, string? Failure = null);
