namespace TcpStates.Bench.Load;

/// <summary>
/// When each connection of a paced churn is due: the rate is shared by the workers, each worker
/// keeps its own grid (worker w starts w/rate in, then one connection every workers/rate seconds),
/// and times are absolute from the start, so a late connection is followed at once by the next
/// due one rather than shifting every later one (no drift).
/// </summary>
internal readonly record struct PacedSchedule(double ConnectionsPerSecond, int Workers)
{
    /// <summary>Seconds from the start at which worker <paramref name="worker"/>'s <paramref name="index"/>-th connection (from 0) is due.</summary>
    public double DueSeconds(int worker, long index) =>
        ConnectionsPerSecond <= 0 ? 0 : (worker + (double)index * Workers) / ConnectionsPerSecond;

    /// <summary>Connections/s that give <paramref name="eventsPerSecond"/> state changes per second.</summary>
    public static double ForEvents(double eventsPerSecond, double eventsPerConnection) =>
        eventsPerConnection <= 0 ? 0 : eventsPerSecond / eventsPerConnection;

    /// <summary>Connections a paced run of <paramref name="seconds"/> makes (whole connections only).</summary>
    public int CountFor(double seconds) => (int)Math.Floor(ConnectionsPerSecond * seconds);
}
