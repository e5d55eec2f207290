namespace TcpStates.Output;

/// <summary>
/// Addresses as glibc's inet_ntop prints them (what the original shows, through Python's socket.inet_ntop),
/// written as ASCII into a span without allocating.
/// </summary>
public static class AddressText
{
    public const ushort AfInet = 2;
    public const ushort AfInet6 = 10;

    /// <summary>Longest text: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".</summary>
    public const int MaxLength = 45;

    /// <summary>Writes the address (IPv4 when <paramref name="ipv4"/>, else IPv6) and returns the byte count.</summary>
    public static int Write(ReadOnlySpan<byte> address, bool ipv4, Span<byte> destination) =>
        ipv4 ? WriteIPv4(address[..4], destination) : WriteIPv6(address[..16], destination);

    public static int WriteIPv4(ReadOnlySpan<byte> address, Span<byte> destination)
    {
        int n = 0;
        for (int i = 0; i < 4; i++)
        {
            if (i > 0)
                destination[n++] = (byte)'.';
            n += AsciiNumber.WriteDecimal(address[i], destination[n..]);
        }
        return n;
    }

    public static int WriteIPv6(ReadOnlySpan<byte> address, Span<byte> destination)
    {
        Span<ushort> words = stackalloc ushort[8];
        for (int i = 0; i < 8; i++)
            words[i] = (ushort)(address[2 * i] << 8 | address[2 * i + 1]);

        // The longest run of zero words (the first of equal runs), if at least two long, becomes "::".
        int bestStart = -1, bestLength = 0;
        for (int i = 0; i < 8;)
        {
            if (words[i] != 0)
            {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && words[i] == 0)
                i++;
            if (i - start > bestLength)
                (bestStart, bestLength) = (start, i - start);
        }
        if (bestLength < 2)
            bestStart = -1;

        int n = 0;
        for (int i = 0; i < 8; i++)
        {
            if (bestStart >= 0 && i >= bestStart && i < bestStart + bestLength)
            {
                if (i == bestStart)
                    destination[n++] = (byte)':';
                continue;
            }
            if (i > 0)
                destination[n++] = (byte)':';
            // As glibc: IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) end in dotted quad.
            if (i == 6 && bestStart == 0 && (bestLength == 6 || (bestLength == 5 && words[5] == 0xffff)))
            {
                n += WriteIPv4(address[12..16], destination[n..]);
                return n;
            }
            n += AsciiNumber.WriteHex(words[i], destination[n..]);
        }
        if (bestStart >= 0 && bestStart + bestLength == 8)
            destination[n++] = (byte)':';
        return n;
    }
}
