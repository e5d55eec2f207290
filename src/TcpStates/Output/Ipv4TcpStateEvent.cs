using System.Runtime.InteropServices;

namespace TcpStates.Output;

/// <summary>
/// A state change of an IPv4 socket as the kernel program writes it through the ring buffer when neither netns nor
/// cgroup is wanted: the exact layout of <c>struct event_ipv4</c> in bpf/tcpstates.h (56 bytes: one cache line with
/// the ring's header, where <see cref="TcpStateEvent"/> takes two). Its time in state is the reader's, its family
/// AF_INET; <see cref="Expand"/> makes the full event of it.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct Ipv4TcpStateEvent
{
    public const int Size = 56;

    [FieldOffset(0)] public ulong SkAddr;
    [FieldOffset(TcpStateEvent.TimestampOffset)] public ulong TimestampNs;
    [FieldOffset(16)] public TaskBytes Task;
    [FieldOffset(32)] public uint Pid;
    [FieldOffset(36)] public uint SourceAddress;        // network order, as the bytes lie
    [FieldOffset(40)] public uint DestinationAddress;
    [FieldOffset(44)] public ushort SourcePort;
    [FieldOffset(46)] public ushort DestinationPort;
    [FieldOffset(48)] public byte OldState;
    [FieldOffset(49)] public byte NewState;

    /// <summary>The full event: addresses in the first 4 bytes of 16, the rest zero; no netns or cgroup.</summary>
    public readonly TcpStateEvent Expand(ulong deltaUs)
    {
        TcpStateEvent e = default;
        ExpandInto(ref e, deltaUs);
        return e;
    }

    /// <summary>
    /// <see cref="Expand"/> in place, for the read loop (no 104-byte copy per event): writes every field an IPv4 event
    /// has, so <paramref name="e"/> must hold zeros where it has none (bytes 4-15 of the addresses, netns, cgroup), as an
    /// event only ever expanded into does.
    /// </summary>
    public readonly void ExpandInto(ref TcpStateEvent e, ulong deltaUs)
    {
        e.SkAddr = SkAddr;
        e.TimestampNs = TimestampNs;
        e.DeltaUs = deltaUs;
        MemoryMarshal.Write(e.SourceAddress, SourceAddress);
        MemoryMarshal.Write(e.DestinationAddress, DestinationAddress);
        e.Task = Task;
        e.Pid = Pid;
        e.OldState = OldState;
        e.NewState = NewState;
        e.Family = AddressText.AfInet;
        e.SourcePort = SourcePort;
        e.DestinationPort = DestinationPort;
    }
}
