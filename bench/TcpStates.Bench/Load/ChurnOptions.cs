namespace TcpStates.Bench.Load;

/// <summary>
/// One run of the connection churn: at most <see cref="Count"/> connections and at most
/// <see cref="Duration"/>, whichever ends first.
/// </summary>
internal sealed record ChurnOptions(
    int Count,
    TimeSpan Duration,
    int Workers,
    CloseMode Mode,
    bool IPv6,
    TimeSpan Pace)
{
    /// <summary>Connections per second over all workers, on a fixed grid (<see cref="PacedSchedule"/>); 0 = as fast as they go.</summary>
    public double Rate { get; init; }

    /// <summary>The arguments of the <c>load</c> subcommand that reproduce these options.</summary>
    public IEnumerable<string> ToArguments()
    {
        yield return "load";
        yield return "--count"; yield return Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return "--duration"; yield return Duration.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return "--workers"; yield return Workers.ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return "--mode"; yield return Mode.ToString();
        yield return "--family"; yield return IPv6 ? "6" : "4";
        yield return "--pace-ms"; yield return Pace.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return "--rate"; yield return Rate.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>State changes the kernel reports per connection in this mode (client and server side).</summary>
    public int ExpectedEventsPerConnection => Mode == CloseMode.Graceful ? 10 : 6;

    public string Describe() =>
        $"{Count} {Mode.ToString().ToLowerInvariant()} connections " +
        (IPv6 ? "over ::1, " : $"from 127.0.0.2-{1 + ChurnGenerator.SourceAddresses} to 127.0.0.1, ") +
        $"{Workers} client workers + {Workers} acceptors, at most {Duration.TotalSeconds:0} s";
}
