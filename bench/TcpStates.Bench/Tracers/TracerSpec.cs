namespace TcpStates.Bench.Tracers;

/// <summary>A tracer to measure: a column of the table. <see cref="Path"/> is null for "no tracer".</summary>
internal sealed record TracerSpec(string Name, string? Path, IReadOnlyList<string> Arguments)
{
    public const string OursName = "ours";
    public const string AnchorName = "anchor";
    public const string NoneName = "none";

    public bool IsNone => Path is null;
}
