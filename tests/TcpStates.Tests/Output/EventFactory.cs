using System.Net;
using System.Runtime.InteropServices;
using TcpStates.Output;

namespace TcpStates.Tests.Output;

/// <summary>Builds events as the kernel would write them.</summary>
public static class EventFactory
{
    public static TcpStateEvent Create(
        string source = "127.0.0.1", ushort sport = 40000, string destination = "127.0.0.1", ushort dport = 80,
        byte[]? comm = null, uint pid = 1234, int oldState = 7, int newState = 2, ulong deltaUs = 0,
        ulong timestampUs = 1_000_000, ulong skaddr = 0xffff9fd7e8192000, uint netns = 4026531840, ulong cgroupId = 1)
    {
        IPAddress src = IPAddress.Parse(source), dst = IPAddress.Parse(destination);
        var e = new TcpStateEvent
        {
            SkAddr = skaddr,
            TimestampUs = timestampUs,
            DeltaUs = deltaUs,
            Pid = pid,
            OldState = oldState,
            NewState = newState,
            Family = src.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? (ushort)2 : (ushort)10,
            SourcePort = sport,
            DestinationPort = dport,
            NetNs = netns,
            CgroupId = cgroupId,
        };
        src.GetAddressBytes().CopyTo((Span<byte>)e.SourceAddress);
        dst.GetAddressBytes().CopyTo((Span<byte>)e.DestinationAddress);
        ReadOnlySpan<byte> name = comm is null ? "curl"u8 : comm;
        name[..Math.Min(TcpStateEvent.TaskLength, name.Length)].CopyTo((Span<byte>)e.Task);
        return e;
    }

    /// <summary>The record as it arrives from the ring.</summary>
    public static byte[] ToBytes(TcpStateEvent e) => MemoryMarshal.AsBytes(new ReadOnlySpan<TcpStateEvent>(ref e)).ToArray();
}
