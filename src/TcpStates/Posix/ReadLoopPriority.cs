namespace TcpStates.Posix;

/// <summary>
/// The read loop's thread runs at nice -5. Its rings hold some tens of milliseconds of the fastest churn, and on busy
/// CPUs a thread at the workload's priority, once behind, drains more slowly than the programs fill the rings (its
/// records have left the caches): changes are lost to full rings, in bursts. At -5 it runs as soon as it has work. It
/// needs no more CPU for that (the work per event is the same): the workload gives up the wait, not the time.
/// </summary>
internal static class ReadLoopPriority
{
    public const int Nice = -5;

    /// <summary>
    /// Lowers the calling thread's nice value (Linux keeps one per thread; threads it starts later inherit it) from the
    /// default 0 to <see cref="Nice"/>. A tool started with another nice value keeps it: whoever chose it meant it.
    /// Returns what happened, for the debug output.
    /// </summary>
    public static string Raise()
    {
        int current = Libc.GetPriority(Libc.PrioProcess, 0);
        if (current == -1 && Libc.Errno != 0)
            return $"read loop at its priority: getpriority: {SystemError.Name(Libc.Errno)}";
        if (current != 0)
            return $"read loop at nice {current}, as started";
        return Libc.SetPriority(Libc.PrioProcess, 0, Nice) == 0
            ? $"read loop at nice {Nice}"
            : $"read loop at nice 0: setpriority: {SystemError.Name(Libc.Errno)}";
    }
}
