namespace TcpStates.Output;

/// <summary>TCP state names from include/net/tcp_states.h, as UTF-8, the way the original names them.</summary>
public static class TcpState
{
    public const int Close = 7;

    private static readonly byte[][] Names =
    [
        "ESTABLISHED"u8.ToArray(), "SYN_SENT"u8.ToArray(), "SYN_RECV"u8.ToArray(), "FIN_WAIT1"u8.ToArray(),
        "FIN_WAIT2"u8.ToArray(), "TIME_WAIT"u8.ToArray(), "CLOSE"u8.ToArray(), "CLOSE_WAIT"u8.ToArray(),
        "LAST_ACK"u8.ToArray(), "LISTEN"u8.ToArray(), "CLOSING"u8.ToArray(), "NEW_SYN_RECV"u8.ToArray(),
    ];

    /// <summary>The name, or the number for a state we don't know (printed unsigned: the original's field is u32).</summary>
    public static int Write(int state, Span<byte> destination)
    {
        if (state is >= 1 and <= 12)
        {
            Names[state - 1].CopyTo(destination);
            return Names[state - 1].Length;
        }
        return AsciiNumber.WriteDecimal((uint)state, destination);
    }

    /// <summary>Longest text: a u32 number is 10 digits, the longest name 12.</summary>
    public const int MaxLength = 12;
}
