using TcpStates.Cli;
using TcpStates.Output;

namespace TcpStates.Tracing;

/// <summary>Placeholder until the tracing side lands: loads, attaches and runs the read loop.</summary>
public static class TraceSession
{
    /// <summary>
    /// Traces until <paramref name="cancellationToken"/> is cancelled or <see cref="IEventSink.Flush"/> returns false;
    /// throws a BpfException when the program cannot be loaded or attached.
    /// </summary>
    public static void Run(TcpStatesOptions options, IEventSink sink, CancellationToken cancellationToken) =>
        throw new PlatformNotSupportedException("tracing is not wired yet");
}
