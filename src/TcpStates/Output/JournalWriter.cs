using System.Buffers.Binary;
using TcpStates.Posix;

namespace TcpStates.Output;

/// <summary>
/// -Y: each event as a structured entry in the systemd journal, sent with journald's native protocol (one datagram
/// of NAME=value lines) on its socket, without libsystemd. The fields and MESSAGE are the original's; a value with
/// a newline uses the binary-safe form (NAME, newline, 64-bit little-endian length, value, newline).
/// Entries are a few hundred bytes, far below the datagram limit, so the protocol's memfd fallback is not needed.
/// Sends never block: a journal that stops reading must not stall the read loop (the kernel's ring would fill)
/// nor keep the tool from stopping. When its socket's queue is full (a short one: net.unix.max_dgram_qlen) entries
/// wait in a backlog of at most <see cref="BacklogCapacity"/> bytes, sent first on every later write and on every
/// <see cref="Pump"/>; only what does not fit there, or is still there at <see cref="Drain"/>, is dropped, counted in
/// <see cref="FailedEntries"/> (reported as lost). A journal that merely pauses (a rotation, a busy host) loses nothing.
/// </summary>
public sealed unsafe class JournalWriter : IDisposable
{
    public const string DefaultSocketPath = "/run/systemd/journal/socket";
    /// <summary>Where a test (or a journal namespace) puts the socket instead of <see cref="DefaultSocketPath"/>.</summary>
    public const string SocketPathVariable = "TCPSTATES_JOURNAL_SOCKET";
    /// <summary>Bytes of entries kept while the journal does not read (a few thousand entries).</summary>
    public const int BacklogCapacity = 2 * 1024 * 1024;
    private const int MaxEntryLength = 64 * 1024;   // a JSON MESSAGE (-j) with the longest cgroup path fits

    private readonly int _socket;
    private readonly bool _includeCommand;
    private readonly byte[] _entry = new byte[MaxEntryLength];
    // Entries as [int length][bytes], oldest at _backlogHead; allocated on the first stall only.
    private byte[]? _backlog;
    private int _backlogHead, _backlogTail;

    /// <summary>Connects to the journal's socket; throws a <see cref="SystemError"/> saying the journal is not running.</summary>
    /// <param name="includeCommand">
    /// OBJECT_COMM is sent only when not root, as the original: for root, journald fills the OBJECT_* fields of
    /// OBJECT_PID itself.
    /// </param>
    public JournalWriter(string socketPath, bool includeCommand)
    {
        _includeCommand = includeCommand;
        _socket = Libc.Socket(Libc.AfUnix, Libc.SockDgram | Libc.SockCloexec | Libc.SockNonblock, 0);
        if (_socket < 0)
            throw new SystemError("socket(AF_UNIX)", Libc.Errno);
        // struct sockaddr_un: sa_family_t, then a NUL-terminated path of at most 107 bytes.
        byte[] path = System.Text.Encoding.UTF8.GetBytes(socketPath);
        Span<byte> address = stackalloc byte[110];
        address.Clear();
        if (path.Length > address.Length - 3)
        {
            _ = Libc.Close(_socket);
            throw new JournalUnavailableException(socketPath, SystemError.ENAMETOOLONG);
        }
        address[0] = Libc.AfUnix;
        path.CopyTo(address[2..]);
        int result;
        fixed (byte* a = address)
            result = Libc.Connect(_socket, a, (uint)(2 + path.Length + 1));
        if (result < 0)
        {
            int errno = Libc.Errno;
            _ = Libc.Close(_socket);
            throw new JournalUnavailableException(socketPath, errno);
        }
    }

    /// <summary>Entries that could not be sent: the journal's queue was full, or the journal went away.</summary>
    public ulong FailedEntries { get; private set; }

    /// <summary>The errno of the last entry that could not be sent, 0 if none.</summary>
    public int LastError { get; private set; }

    public void Write(in TcpStateEvent e) => Write(e, default);

    /// <summary>As <see cref="Write(in TcpStateEvent)"/>, with this MESSAGE (-j: the JSON line) instead of the original's.</summary>
    public void Write(in TcpStateEvent e, ReadOnlySpan<byte> message)
    {
        int length = Encode(e, _includeCommand, _entry, message);
        // In order: nothing overtakes what waits in the backlog.
        int errno = Pump();
        if (errno == 0)
            errno = Send(_entry.AsSpan(0, length));
        if (errno == SystemError.EAGAIN && Keep(_entry.AsSpan(0, length)))
            return;
        if (errno != 0)
            Fail(errno, 1);
    }

    /// <summary>Entries waiting for the journal to read again.</summary>
    public int Backlogged { get; private set; }

    /// <summary>Sends what waits in the backlog, without blocking; the errno that stopped it (EAGAIN: full again), 0 when all went.</summary>
    public int Pump()
    {
        while (_backlogHead < _backlogTail)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(_backlog.AsSpan(_backlogHead));
            int errno = Send(_backlog.AsSpan(_backlogHead + 4, length));
            if (errno == SystemError.EAGAIN)
                return errno;
            if (errno != 0)
            {
                // The journal went away: what waits cannot be sent either.
                Fail(errno, Backlogged);
                _backlogHead = _backlogTail = Backlogged = 0;
                return errno;
            }
            _backlogHead += 4 + length;
            Backlogged--;
        }
        _backlogHead = _backlogTail = 0;
        return 0;
    }

    /// <summary>At exit: sends the backlog, waiting at most <paramref name="timeoutMs"/> in all; what is left is lost.</summary>
    public void Drain(int timeoutMs)
    {
        long until = Environment.TickCount64 + timeoutMs;
        while (Pump() == SystemError.EAGAIN)
        {
            long left = until - Environment.TickCount64;
            if (left <= 0 || !WaitWritable((int)left))
                break;
        }
        if (Backlogged > 0)
        {
            Fail(SystemError.EAGAIN, Backlogged);
            _backlogHead = _backlogTail = Backlogged = 0;
        }
    }

    private bool Keep(ReadOnlySpan<byte> entry)
    {
        _backlog ??= new byte[BacklogCapacity];
        if (_backlogTail + 4 + entry.Length > _backlog.Length)
        {
            // Move what waits to the front before giving up on room.
            _backlog.AsSpan(_backlogHead, _backlogTail - _backlogHead).CopyTo(_backlog);
            _backlogTail -= _backlogHead;
            _backlogHead = 0;
            if (_backlogTail + 4 + entry.Length > _backlog.Length)
                return false;
        }
        BinaryPrimitives.WriteInt32LittleEndian(_backlog.AsSpan(_backlogTail), entry.Length);
        entry.CopyTo(_backlog.AsSpan(_backlogTail + 4));
        _backlogTail += 4 + entry.Length;
        Backlogged++;
        return true;
    }

    private void Fail(int errno, int entries)
    {
        FailedEntries += (ulong)entries;
        LastError = errno;
    }

    /// <summary>One non-blocking send; the errno, 0 when sent.</summary>
    private int Send(ReadOnlySpan<byte> datagram)
    {
        fixed (byte* p = datagram)
        {
            while (true)
            {
                if (Libc.Send(_socket, p, (nuint)datagram.Length, Libc.MsgDontwait | Libc.MsgNosignal) >= 0)
                    return 0;
                int errno = Libc.Errno;
                if (errno != SystemError.EINTR)
                    return errno;
            }
        }
    }

    private bool WaitWritable(int timeoutMs)
    {
        var fd = new Libc.PollFd { Fd = _socket, Events = Libc.PollOut };
        return Libc.Poll(&fd, 1, timeoutMs) > 0 && (fd.Returned & Libc.PollOut) != 0;
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

    public void Dispose() => _ = Libc.Close(_socket);
}
