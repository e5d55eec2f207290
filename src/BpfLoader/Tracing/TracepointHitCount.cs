using BpfLoader.Kernel;
using BpfLoader.Maps;
using BpfLoader.Programs;

namespace BpfLoader.Tracing;

/// <summary>
/// The kernel's count of a tracepoint's hits since this count was made, to compare with what the programs
/// on the tracepoint were called for: a hit that reached none of them shows as a difference. Two sources:
/// <list type="bullet">
/// <item><see cref="FromPerfCounter(string, string)"/>: a perf counting event per CPU (<see cref="TracepointCounter"/>). For
/// tp_btf and raw tracepoint programs; not where classic tracepoint programs are attached, since the kernel
/// skips counting a hit such a program returned 0 for.</item>
/// <item><see cref="FromProgram(BpfProgram, BpfMap, TracepointCounter?)"/>: a raw tracepoint program of the caller's
/// own that counts each hit in a per-CPU array, plus its own recursion misses (hits it was skipped for). For the
/// classic tracepoint, whose programs are reached through perf, on another path than the raw tracepoint's. With it,
/// a perf counter on the tracepoint counts the hits perf ran no program for, which no program counts.</item>
/// </list>
/// </summary>
public sealed class TracepointHitCount : IDisposable
{
    private TracepointCounter? _counter;   // every hit, or with _program the hits no program was run for
    private readonly BpfProgram? _program;
    private readonly BpfMap? _counts;
    private readonly ulong _start;
    private ulong? _stopped;

    private TracepointHitCount(TracepointCounter? counter, BpfProgram? program, BpfMap? counts)
    {
        _counter = counter;
        _program = program;
        _counts = counts;
        _start = ReadTotal();
    }

    /// <summary>Counts the hits of <paramref name="category"/>:<paramref name="name"/> with the kernel's perf counters (tracefs gives its id).</summary>
    public static TracepointHitCount FromPerfCounter(string category, string name) =>
        FromPerfCounter(TracepointCounter.Open(category, name));

    /// <summary>
    /// Counts the hits <paramref name="counter"/> counts from now on: what it counted before is not part of this count.
    /// So the counter can be opened early (its perf events take some time to set up) and the count made when the
    /// programs are attached. The counter becomes this count's, disposed with it, also when this throws.
    /// </summary>
    public static TracepointHitCount FromPerfCounter(TracepointCounter counter)
    {
        ArgumentNullException.ThrowIfNull(counter);
        try
        {
            return new TracepointHitCount(counter, null, null);
        }
        catch
        {
            counter.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Counts the hits as <paramref name="counter"/> (a raw tracepoint program, attached by the caller) counts them in
    /// <paramref name="counts"/> (a one-entry per-CPU array of u64 it adds one to per call), plus the program's
    /// recursion misses. Both stay the caller's: this count does not dispose them.
    /// </summary>
    public static TracepointHitCount FromProgram(BpfProgram counter, BpfMap counts) =>
        FromProgram(counter, counts, unrun: null);

    /// <summary>
    /// As <see cref="FromProgram(BpfProgram, BpfMap)"/>, plus the hits <paramref name="unrun"/> counts from now on: a
    /// perf counter on the tracepoint while classic tracepoint programs that return 0 are attached to it counts only
    /// the hits perf ran none of them for (a program that ran and returned 0 keeps the hit from the count). The kernel
    /// does so on some hosts (seen on 6.18: softirqs over one particular task), and then calls no raw tracepoint
    /// program either, nor counts a miss. The counter becomes this count's, disposed with it or when it stops, also
    /// when this throws.
    /// </summary>
    public static TracepointHitCount FromProgram(BpfProgram counter, BpfMap counts, TracepointCounter? unrun)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(counter);
            ArgumentNullException.ThrowIfNull(counts);
            PerCpuCount.Check(counts, nameof(counts));
            return new TracepointHitCount(unrun, counter, counts);
        }
        catch
        {
            unrun?.Dispose();
            throw;
        }
    }

    /// <summary>Whether <see cref="Stop"/> was called: <see cref="Read"/> returns the count as of then, at no cost.</summary>
    public bool IsStopped => _stopped is not null;

    /// <summary>
    /// Hits since this count was made (until <see cref="Stop"/>). With perf counters every read interrupts each other
    /// CPU: read it on a timer, not per event. Allocates nothing.
    /// </summary>
    public ulong Read() => _stopped ?? ReadTotal() - _start;

    /// <summary>Stops counting: hits after this one are not owed to anyone. Later reads return the count as of now.</summary>
    public void Stop()
    {
        if (_stopped is not null) return;
        _stopped = ReadTotal() - _start;
        _counter?.Dispose();
        _counter = null;
    }

    private ulong ReadTotal()
    {
        ulong unrun = _counter?.Read() ?? 0;
        if (_program is null) return unrun;
        ulong misses = _program.GetRunStatistics().RecursionMisses;
        return PerCpuCount.Sum(_counts) + misses + unrun;
    }

    /// <summary>Closes the perf counters, if any; the count is gone with them (a stopped count keeps its value).</summary>
    public void Dispose()
    {
        _counter?.Dispose();
        _counter = null;
    }
}
