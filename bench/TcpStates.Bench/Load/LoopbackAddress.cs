using System.Buffers.Binary;

namespace TcpStates.Bench.Load;

/// <summary>A sockaddr_in for 127.0.0.1 (or another address of 127/8) or a sockaddr_in6 for ::1, as raw bytes for
/// bind/connect.</summary>
internal sealed class LoopbackAddress
{
    private readonly byte[] _bytes;

    /// <summary>127.0.0.1 or ::1.</summary>
    public LoopbackAddress(bool ipv6, int port) : this(ipv6, port, 1) { }

    /// <summary>127.0.0.<paramref name="lastOctet"/>, every one of them a loopback address on Linux; ::1 for IPv6,
    /// which has no other.</summary>
    public LoopbackAddress(bool ipv6, int port, byte lastOctet)
    {
        IPv6 = ipv6;
        if (ipv6)
        {
            // family(2) port(2, big endian) flowinfo(4) addr(16) scope_id(4)
            _bytes = new byte[28];
            BitConverter.TryWriteBytes(_bytes.AsSpan(0, 2), (ushort)Interop.Native.AfInet6);
            _bytes[23] = 1;
        }
        else
        {
            // family(2) port(2, big endian) addr(4) zero(8)
            _bytes = new byte[16];
            BitConverter.TryWriteBytes(_bytes.AsSpan(0, 2), (ushort)Interop.Native.AfInet);
            _bytes[4] = 127;
            _bytes[7] = lastOctet;
        }
        BinaryPrimitives.WriteUInt16BigEndian(_bytes.AsSpan(2, 2), (ushort)port);
    }

    public bool IPv6 { get; }

    public int Family => IPv6 ? Interop.Native.AfInet6 : Interop.Native.AfInet;

    public ReadOnlySpan<byte> Bytes => _bytes;

    public static int PortOf(ReadOnlySpan<byte> sockaddr) => BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..4]);
}
