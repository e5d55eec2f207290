using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TcpStates.Output;

/// <summary>
/// One state change as the kernel program writes it: the exact layout of <c>struct event</c> in
/// bpf/tcpstates.h (104 bytes, little-endian, natural alignment, one padding field).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct TcpStateEvent
{
    public const int Size = 104;
    public const int TaskLength = 16;
    /// <summary><see cref="DeltaUs"/> of a record whose time in state the reader works out (DELTA_BY_READER in
    /// bpf/tcpstates.h; see <see cref="SocketClock"/>).</summary>
    public const ulong DeltaByReader = ulong.MaxValue;
    /// <summary>Where both records (this and <see cref="Ipv4TcpStateEvent"/>) keep <see cref="TimestampNs"/>: per-CPU rings are merged by it.</summary>
    public const int TimestampOffset = 8;

    [FieldOffset(0)] public ulong SkAddr;
    /// <summary>bpf_ktime_get_ns() at the change (CLOCK_MONOTONIC).</summary>
    [FieldOffset(TimestampOffset)] public ulong TimestampNs;
    [FieldOffset(16)] public ulong DeltaUs;
    [FieldOffset(24)] public AddressBytes SourceAddress;
    [FieldOffset(40)] public AddressBytes DestinationAddress;
    [FieldOffset(56)] public TaskBytes Task;
    [FieldOffset(72)] public uint Pid;
    [FieldOffset(76)] public int OldState;
    [FieldOffset(80)] public int NewState;
    [FieldOffset(84)] public ushort Family;
    [FieldOffset(86)] public ushort SourcePort;
    [FieldOffset(88)] public ushort DestinationPort;
    /// <summary>The socket's network namespace: its inode.</summary>
    [FieldOffset(92)] public uint NetNs;
    /// <summary>The socket's cgroup v2 id (the inode of its directory on the cgroup2 mount).</summary>
    [FieldOffset(96)] public ulong CgroupId;

    /// <summary>The timestamp in microseconds, as the original's events carry it (the TIME(s) column).</summary>
    public ulong TimestampUs
    {
        readonly get => TimestampNs / 1000;
        set => TimestampNs = value * 1000;
    }

    /// <summary>Reads one record; false when it is shorter than the struct (a truncated sample).</summary>
    public static bool TryRead(ReadOnlySpan<byte> record, out TcpStateEvent value)
    {
        // The kernel writes host order and we only run on little-endian hosts (x64, arm64).
        return MemoryMarshal.TryRead(record, out value);
    }

    /// <summary>The command name up to its NUL, as raw bytes (not necessarily UTF-8).</summary>
    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    public readonly ReadOnlySpan<byte> TaskName
    {
        get
        {
            ReadOnlySpan<byte> all = Task;
            int nul = all.IndexOf((byte)0);
            return nul < 0 ? all : all[..nul];
        }
    }

    public readonly bool IsIPv4 => Family == AddressText.AfInet;
}

/// <summary>16 bytes of address: IPv4 in the first 4, or IPv6; network order.</summary>
[InlineArray(16)]
public struct AddressBytes
{
    private byte _element0;
}

/// <summary>The command name (comm), NUL-terminated unless it is 16 bytes long.</summary>
[InlineArray(TcpStateEvent.TaskLength)]
public struct TaskBytes
{
    private byte _element0;
}
