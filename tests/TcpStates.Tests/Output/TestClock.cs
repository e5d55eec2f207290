namespace TcpStates.Tests.Output;

/// <summary>A fixed local time (UTC as the local zone), so the time column can be checked.</summary>
public sealed class TestClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
