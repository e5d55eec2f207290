using System.Collections.Frozen;
using TcpStates.Output;

namespace TcpStates.Cli;

/// <summary>What the command line asked for. Empty port sets mean "every port".</summary>
public sealed record TcpStatesOptions
{
    public const ushort AnyFamily = 0;

    /// <summary>-T: a local HH:MM:SS column.</summary>
    public bool Time { get; init; }

    /// <summary>-t: a column of seconds since the first event.</summary>
    public bool Timestamp { get; init; }

    /// <summary>-w: wide columns (fit IPv6).</summary>
    public bool Wide { get; init; }

    /// <summary>-s: comma-separated values.</summary>
    public bool Csv { get; init; }

    /// <summary>-L: local ports to trace.</summary>
    public IReadOnlySet<ushort> LocalPorts { get; init; } = FrozenSet<ushort>.Empty;

    /// <summary>-D: remote ports to trace.</summary>
    public IReadOnlySet<ushort> RemotePorts { get; init; } = FrozenSet<ushort>.Empty;

    /// <summary>-Y: also log each change to the systemd journal.</summary>
    public bool Journal { get; init; }

    /// <summary>-4 (AF_INET, 2), -6 (AF_INET6, 10), or <see cref="AnyFamily"/>.</summary>
    public ushort Family { get; init; } = AnyFamily;

    /// <summary>-j: one JSON object per event per line (no header).</summary>
    public bool Json { get; init; }

    /// <summary>-C: NETNS and CGROUP columns in text and CSV output.</summary>
    public bool Containers { get; init; }

    /// <summary>--netns: only sockets in the network namespace with this inode; 0 for any.</summary>
    public uint NetNs { get; init; }

    /// <summary>--cgroup: only sockets in the cgroup with this id or below it; 0 for any.</summary>
    public ulong CgroupId { get; init; }

    /// <summary>--ebpf (hidden): print the kernel program and exit.</summary>
    public bool Ebpf { get; init; }

    /// <summary>CSV wins over wide, as in the original.</summary>
    public OutputFormat Format => Csv ? OutputFormat.Csv : Wide ? OutputFormat.Wide : OutputFormat.Columns;
}
