namespace BpfLoader.Tests.Tracing;

/// <summary>
/// Tests that attach to sock:inet_sock_set_state or count its hits run one at a time: a classic tracepoint program of
/// one test makes the kernel skip counting the hits it returns 0 for in another test's perf counter, which then
/// counts fewer hits than that test's connections made.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SetStateTracepointCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "sock:inet_sock_set_state";
}
