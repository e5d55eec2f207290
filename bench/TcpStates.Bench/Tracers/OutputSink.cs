namespace TcpStates.Bench.Tracers;

/// <summary>Where the tracer's stdout goes during a run.</summary>
internal enum OutputSink
{
    /// <summary>A regular file on disk, counted after the run (the case the zero-loss target is about).</summary>
    File,

    /// <summary>/dev/null: the cost of formatting and writing with no reader.</summary>
    Null,

    /// <summary>A pipe read and counted by the harness as it comes (also gives the time to the header).</summary>
    Pipe,
}
