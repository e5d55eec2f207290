namespace TcpStates.Bench.Tracers;

/// <summary>Where the tracer's stdout goes during a run.</summary>
internal enum OutputSink
{
    /// <summary>A regular file on disk, counted after the run (the case the zero-loss target is about).</summary>
    File,

    /// <summary>/dev/null: the cost of formatting and writing with no reader.</summary>
    Null,

    /// <summary>A pipe read and counted by the harness as it comes.</summary>
    Pipe,

    /// <summary>
    /// A pseudo-terminal read by the harness, for the time to the header only: on a pipe or a file
    /// stdio buffers the header until 4 KiB of events follow; on a terminal it comes at once, as a
    /// user sees it.
    /// </summary>
    Terminal,
}
