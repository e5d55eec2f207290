using System.Buffers.Binary;
using System.Net.Sockets;

namespace TcpStates.Output;

/// <summary>
/// -Y: each event as a structured entry in the systemd journal, sent with journald's native protocol (one datagram
/// of NAME=value lines) on its socket, without libsystemd. The fields and MESSAGE are the original's; a value with
/// a newline uses the binary-safe form (NAME, newline, 64-bit little-endian length, value, newline).
/// Entries are a few hundred bytes, far below the datagram limit, so the protocol's memfd fallback is not needed.
/// </summary>
public sealed class JournalWriter : IDisposable
{
    public const string DefaultSocketPath = "/run/systemd/journal/socket";
    private const int MaxEntryLength = 64 * 1024;   // a JSON MESSAGE (-j) with the longest cgroup path fits

    private readonly Socket _socket;
    private readonly bool _includeCommand;
    private readonly TextWriter _errors;
    private readonly byte[] _entry = new byte[MaxEntryLength];
    private bool _warned;

    /// <summary>Connects to the journal's socket; throws <see cref="SocketException"/> when there is none.</summary>
    /// <param name="includeCommand">
    /// OBJECT_COMM is sent only when not root, as the original: for root, journald fills the OBJECT_* fields of
    /// OBJECT_PID itself.
    /// </param>
    public JournalWriter(string socketPath, bool includeCommand, TextWriter errors)
    {
        _includeCommand = includeCommand;
        _errors = errors;
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            _socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    /// <summary>Entries that could not be sent (journald gone or its queue full).</summary>
    public ulong FailedEntries { get; private set; }

    public void Write(in TcpStateEvent e) => Write(e, default);

    /// <summary>As <see cref="Write(in TcpStateEvent)"/>, with this MESSAGE (-j: the JSON line) instead of the original's.</summary>
    public void Write(in TcpStateEvent e, ReadOnlySpan<byte> message)
    {
        int length = Encode(e, _includeCommand, _entry, message);
        try
        {
            _socket.Send(_entry.AsSpan(0, length));
        }
        catch (SocketException ex)
        {
            FailedEntries++;
            if (!_warned)
            {
                _warned = true;
                _errors.WriteLine($"tcpstates: journal: {ex.Message} (further journal errors are not reported)");
            }
        }
    }

    /// <summary>The datagram for one event; returns its length. A non-empty <paramref name="jsonMessage"/> is the MESSAGE.</summary>
    public static int Encode(in TcpStateEvent e, bool includeCommand, Span<byte> destination, ReadOnlySpan<byte> jsonMessage = default)
    {
        Span<byte> comm = stackalloc byte[TcpStateEvent.TaskLength * 3];
        comm = comm[..CommandName.WriteReplacingInvalid(e.TaskName, comm)];
        Span<byte> source = stackalloc byte[AddressText.MaxLength];
        source = source[..AddressText.Write(e.SourceAddress, e.IsIPv4, source)];
        Span<byte> destinationAddress = stackalloc byte[AddressText.MaxLength];
        destinationAddress = destinationAddress[..AddressText.Write(e.DestinationAddress, e.IsIPv4, destinationAddress)];
        Span<byte> sport = stackalloc byte[5];
        sport = sport[..AsciiNumber.WriteDecimal(e.SourcePort, sport)];
        Span<byte> dport = stackalloc byte[5];
        dport = dport[..AsciiNumber.WriteDecimal(e.DestinationPort, dport)];
        Span<byte> oldState = stackalloc byte[TcpState.MaxLength];
        oldState = oldState[..TcpState.Write(e.OldState, oldState)];
        Span<byte> newState = stackalloc byte[TcpState.MaxLength];
        newState = newState[..TcpState.Write(e.NewState, newState)];

        // MESSAGE: "%(OBJECT_COMM)s %(SOURCE_ADDRESS)s %(SOURCE_PORT)s → %(DESTINATION_ADDRESS)s %(DESTINATION_PORT)s
        // %(OLD_STATE)s → %(NEW_STATE)s", as the original.
        Span<byte> message = stackalloc byte[512];
        var m = new Utf8Line(message);
        AppendWords(ref m, comm, source, sport);
        m.Append(" → "u8);
        AppendWords(ref m, destinationAddress, dport, oldState);
        m.Append(" → "u8);
        m.Append(newState);
        ReadOnlySpan<byte> text = jsonMessage.IsEmpty ? message[..m.Length] : jsonMessage;

        bool ipv4 = e.IsIPv4;
        var entry = new Utf8Line(destination);
        AppendField(ref entry, "MESSAGE"u8, text);
        AppendField(ref entry, "SYSLOG_IDENTIFIER"u8, "tcpstates"u8);
        AppendField(ref entry, "PRIORITY"u8, "5"u8);
        Span<byte> pid = stackalloc byte[10];
        AppendField(ref entry, "OBJECT_PID"u8, pid[..AsciiNumber.WriteDecimal(e.Pid, pid)]);
        if (includeCommand)
            AppendField(ref entry, "OBJECT_COMM"u8, comm);
        AppendField(ref entry, ipv4 ? "OBJECT_IPV4_SOURCE_ADDRESS"u8 : "OBJECT_IPV6_SOURCE_ADDRESS"u8, source);
        AppendField(ref entry, "OBJECT_TCP_SOURCE_PORT"u8, sport);
        AppendField(ref entry, ipv4 ? "OBJECT_IPV4_DESTINATION_ADDRESS"u8 : "OBJECT_IPV6_DESTINATION_ADDRESS"u8, destinationAddress);
        AppendField(ref entry, "OBJECT_TCP_DESTINATION_PORT"u8, dport);
        AppendField(ref entry, "OBJECT_TCP_OLD_STATE"u8, oldState);
        AppendField(ref entry, "OBJECT_TCP_NEW_STATE"u8, newState);
        Span<byte> span = stackalloc byte[20];
        AppendField(ref entry, "OBJECT_TCP_SPAN_TIME"u8, span[..AsciiNumber.WriteDecimal(e.DeltaUs, span)]);
        return entry.Length;
    }

    private static void AppendWords(ref Utf8Line line, scoped ReadOnlySpan<byte> first, scoped ReadOnlySpan<byte> second,
        scoped ReadOnlySpan<byte> third)
    {
        line.Append(first);
        line.Append((byte)' ');
        line.Append(second);
        line.Append((byte)' ');
        line.Append(third);
    }

    private static void AppendField(ref Utf8Line entry, scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> value)
    {
        entry.Append(name);
        if (value.Contains((byte)'\n'))
        {
            entry.Append((byte)'\n');
            BinaryPrimitives.WriteUInt64LittleEndian(entry.Free, (ulong)value.Length);
            entry.Advance(sizeof(ulong));
        }
        else
            entry.Append((byte)'=');
        entry.Append(value);
        entry.Append((byte)'\n');
    }

    public void Dispose() => _socket.Dispose();
}
