using System.Diagnostics;
using BpfLoader.Maps;
using BpfLoader.Programs;

namespace BpfLoader.Tracing;

/// <summary>
/// Counts the events a tracing program owed its reader and never delivered, by cause (<see cref="LossBreakdown"/>):
/// those that found the ring full (the program counts them in a per-CPU array), the calls the kernel skipped
/// because the program was already running on that CPU (its recursion misses, from the program's info) less
/// those a second program caught (also counted in a per-CPU array), and, given the kernel's count of the
/// tracepoint's hits, the hits that reached no program at all (hits less the main program's calls, which it
/// counts in a per-CPU array, less its misses, less the second program's catches beyond those misses). The per-CPU arrays are one-entry arrays of u64 (key 0).
/// Every reading is of totals; counters read an instant apart can only make a loss look smaller, except a miss
/// counted an instant before its catch, so <see cref="TakeNew"/> reports a total once a second reading confirms it.
/// </summary>
public sealed class LossCounter
{
    private readonly BpfProgram _program;
    private readonly BpfMap? _ringFull, _caught, _calls;
    private readonly TracepointHitCount? _hits;
    private readonly Stopwatch _sinceHitsRead = Stopwatch.StartNew();
    private ulong _hitsCounted, _neverReached, _reported, _lastTotal;

    /// <param name="program">The main program: its recursion misses are events lost.</param>
    /// <param name="ringFull">Per-CPU count of the events the programs had no room for; null if they do not count them.</param>
    /// <param name="caught">Per-CPU count of the main program's misses that a second program traced; null if none.</param>
    /// <param name="calls">Per-CPU count of the main program's calls (it adds one on entry); needed with <paramref name="hits"/>.</param>
    /// <param name="hits">The kernel's count of the tracepoint's hits; null to leave hits that reached no program uncounted.</param>
    public LossCounter(BpfProgram program, BpfMap? ringFull = null, BpfMap? caught = null, BpfMap? calls = null, TracepointHitCount? hits = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (hits is not null && calls is null)
            throw new ArgumentException("a hit count is compared with the main program's calls: give the map it counts them in", nameof(calls));
        foreach ((BpfMap? map, string role) in new[] { (ringFull, nameof(ringFull)), (caught, nameof(caught)), (calls, nameof(calls)) })
            if (map is not null) PerCpuCount.Check(map, role);
        _program = program;
        _ringFull = ringFull;
        _caught = caught;
        _calls = calls;
        _hits = hits;
        Breakdown = new LossBreakdown(0, 0, 0, 0, hits is null ? null : 0);
    }

    /// <summary>
    /// How often <see cref="TakeNew"/> reads the hit count (every read of perf counters interrupts each other CPU):
    /// once a second by default, and always when final or once the count is stopped.
    /// </summary>
    public TimeSpan HitsReadInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The counts as of the last <see cref="TakeNew"/>, by cause (all zero before the first).</summary>
    public LossBreakdown Breakdown { get; private set; }

    /// <summary>
    /// Reads the counters and returns the events lost since the last call, confirmed by two readings in a row,
    /// or all of them when <paramref name="final"/> (once the programs are detached and the ring drained).
    /// Allocates nothing, but reads the counters by syscalls (four, and the hit count's perf reads once per
    /// <see cref="HitsReadInterval"/>): call it after a batch, at the pace its reports need to keep.
    /// </summary>
    public ulong TakeNew(bool final = false)
    {
        // The kernel's count first: read before the programs' counts, it can only make a loss look smaller.
        ulong? hits = _hits is not null && (final || _hits.IsStopped || _sinceHitsRead.Elapsed >= HitsReadInterval)
            ? _hits.Read() : null;
        if (hits is not null) _sinceHitsRead.Restart();
        ulong misses = _program.GetRunStatistics().RecursionMisses;
        ulong calls = PerCpuCount.Sum(_calls);
        ulong caught = PerCpuCount.Sum(_caught);
        ulong ringFull = PerCpuCount.Sum(_ringFull);
        if (hits is ulong h)
        {
            _hitsCounted = h;
            // A hit reached a program when the main one was called for it, or skipped it (a miss), or when only the
            // second one was called for it: the kernel then counts neither a call nor a miss of the main program,
            // and the second one's catches exceed the misses by as many.
            ulong reached = calls + Math.Max(misses, caught);
            if (h > reached) _neverReached = Math.Max(_neverReached, h - reached);
        }
        Breakdown = new LossBreakdown(ringFull, misses, caught, _neverReached, _hits is null ? null : _hitsCounted);
        ulong total = Breakdown.Total;
        ulong confirmed = final ? total : Math.Min(total, _lastTotal);
        _lastTotal = total;
        if (confirmed <= _reported) return 0;
        ulong fresh = confirmed - _reported;
        _reported = confirmed;
        return fresh;
    }
}
