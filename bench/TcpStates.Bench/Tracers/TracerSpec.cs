namespace TcpStates.Bench.Tracers;

/// <summary>
/// A column of the table: a tracer to run beside the load, or none (<see cref="Path"/> null). A
/// column with <see cref="ReferenceLoop"/> is untraced too, but its load is the minimal C loop.
/// </summary>
internal sealed record TracerSpec(string Name, string? Path, IReadOnlyList<string> Arguments)
{
    public const string OursName = "ours";
    public const string AnchorName = "anchor";
    public const string LimitName = "limit";
    public const string NoneName = "none";
    public const string ReferenceName = "c-loop";

    /// <summary>The compiled bench/reference/churn.c, for the <see cref="ReferenceName"/> column.</summary>
    public string? ReferenceLoop { get; init; }

    /// <summary>Whether it prints events (not the limit): its output is counted, and its time to the header.</summary>
    public bool HasOutput { get; init; } = true;

    public bool IsNone => Path is null;
}
