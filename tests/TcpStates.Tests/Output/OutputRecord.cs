namespace TcpStates.Tests.Output;

/// <summary>One line of the tool's output, parsed back (for end-to-end tests that read what the tool printed).</summary>
public sealed record OutputRecord(
    string? Time,
    double? Seconds,
    ulong SkAddr,
    uint Pid,
    string Command,
    int? IpVersion,
    string LocalAddress,
    ushort LocalPort,
    string RemoteAddress,
    ushort RemotePort,
    string OldState,
    string NewState,
    double Milliseconds);
