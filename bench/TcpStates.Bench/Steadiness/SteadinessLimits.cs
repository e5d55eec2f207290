namespace TcpStates.Bench.Steadiness;

/// <summary>
/// When a run or a round is too disturbed to count toward the speed figure.
/// </summary>
/// <param name="Margin">An untraced round may differ from the median of the steady candidates by at most this fraction.</param>
/// <param name="MaxStealFraction">Steal time over the load's window, as a fraction of all CPU time.</param>
/// <param name="MaxForeignCores">CPU used by anything other than the load and the tracer, in cores, averaged over the window.</param>
/// <param name="MaxRetransmits">TCP segments retransmitted over the window (loopback needs none; one or two late ones happen).</param>
/// <param name="MinSteadyRounds">Steady pairs (a traced run and its untraced one) each tracer and sink needs before the speed figure is called enough.</param>
internal sealed record SteadinessLimits(
    double Margin = 0.15,
    double MaxStealFraction = 0.02,
    double MaxForeignCores = 0.3,
    long MaxRetransmits = 10,
    int MinSteadyRounds = 3);
