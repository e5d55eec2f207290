using TcpStates.Bench.Load;
using TcpStates.Bench.Measurement;
using TcpStates.Bench.Steadiness;
using TcpStates.Bench.Tracers;

namespace TcpStates.Bench.Harness;

/// <summary>Everything one run measured: one tracer, one output sink, one churn.</summary>
internal sealed record RunMeasurement(string Tracer, OutputSink Sink, int Round)
{
    public ChurnResult? Churn { get; init; }

    /// <summary>Why the run produced no numbers (tracer did not start, load failed, …).</summary>
    public string? Failure { get; init; }

    public BpfRunCounters? Bpf { get; init; }

    /// <summary>Tracer CPU (user+sys) from ready to exit, nanoseconds.</summary>
    public long? TracerCpuNs { get; init; }

    /// <summary>Exec to the header on a terminal (<see cref="OutputSink.Terminal"/> runs only).</summary>
    public double? ReadyMs { get; init; }

    /// <summary>Exec to the BPF program attached, as seen in /proc (2 ms polling).</summary>
    public double? AttachMs { get; init; }

    /// <summary>All output lines minus the header (includes other traffic on the host).</summary>
    public long? EventLines { get; init; }

    /// <summary>Output lines with the workload's listener port as LPORT or RPORT.</summary>
    public long? WorkloadLines { get; init; }

    /// <summary>Of those, lines out of their socket's chain: a row before it missing, or rows out of order.</summary>
    public long? WorkloadOutOfChain { get; init; }

    public long? Lost { get; init; }

    public long? PeakRssKiB { get; init; }

    public string? ExitDescription { get; init; }

    /// <summary>What else the machine did during the load (null when the load could not say).</summary>
    public RunDisturbance? Disturbance { get; init; }

    public bool Succeeded => Failure is null;

    /// <summary>Events the workload made the kernel report: per connection, plus the listener's two.</summary>
    public double? CausedEvents(double eventsPerConnection) =>
        Churn is null ? null : Churn.Connections * eventsPerConnection + 2;
}
