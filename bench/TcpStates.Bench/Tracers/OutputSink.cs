namespace TcpStates.Bench.Tracers;

/// <summary>Where the tracer's stdout goes during a run.</summary>
internal enum OutputSink
{
    /// <summary>A regular file on disk, counted after the run (the case the zero-loss target is about).</summary>
    File,

    /// <summary>
    /// A regular file whose pages are in the page cache before the tracer starts: the harness fills it with zeros
    /// (<see cref="CachedOutputFile"/>) and the tracer writes over them from the start. A file's cost where the memory
    /// behind the page cache is there already; on a guest whose free memory goes back to its host (free page
    /// reporting), every new page of a <see cref="File"/> is faulted in by the host as the tracer writes it.
    /// </summary>
    Cached,

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
