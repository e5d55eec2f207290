using TcpStates.Containers;

namespace TcpStates.Output;

/// <summary>
/// Prints events in the original's layouts as UTF-8 into one reusable buffer, written to the output stream on
/// <see cref="Flush"/> (once per batch of events, so a pipe sees lines live) or when the buffer fills.
/// Nothing is allocated per event. When the reader of the output goes away (EPIPE), the printer closes quietly:
/// <see cref="Flush"/> returns false and later events are dropped. Any other write error (a full disk, EIO, a
/// reader that stalls the tool's stop) closes it too, and is kept in <see cref="WriteError"/> to be reported.
/// </summary>
public sealed class EventPrinter
{
    private const int BufferSize = 64 * 1024;
    private const int MaxLineLength = 2048; // a wide or CSV line with a worst-case escaped name is under 400; -C's cut cgroup path adds under 1,700

    private readonly Stream _output;
    private readonly OutputFormat _format;
    private readonly bool _time;
    private readonly bool _timestamp;
    private readonly TimeProvider _clock;
    private readonly byte[] _buffer = new byte[BufferSize];
    private readonly SocketColumns _columns = new();
    private int _length;
    private bool _haveStart;
    private ulong _startUs;

    public EventPrinter(Stream output, OutputFormat format, bool time, bool timestamp, TimeProvider clock)
    {
        _output = output;
        _format = format;
        _time = time;
        _timestamp = timestamp;
        _clock = clock;
    }

    /// <summary>-j: every event as one JSON line (no header); the format and columns above are then unused.</summary>
    public JsonEventFormatter? Json { get; init; }

    /// <summary>-C: NETNS and CGROUP columns after MS, the cgroup's path resolved here.</summary>
    public CgroupPaths? Containers { get; init; }

    /// <summary>True once a write to the output failed; nothing more is printed.</summary>
    public bool IsClosed { get; private set; }

    /// <summary>Why the output closed, when it was not its reader going away (EPIPE): an error to report.</summary>
    public IOException? WriteError { get; private set; }

    private bool Csv => _format == OutputFormat.Csv;

    public void WriteHeader()
    {
        if (Json is not null)
            return;
        var line = new Utf8Line(Reserve());
        if (_time)
            AppendPrefix(ref line, "TIME"u8, 8);
        if (_timestamp)
            AppendPrefix(ref line, "TIME(s)"u8, 9);
        switch (_format)
        {
            case OutputFormat.Csv:
                line.Append("SKADDR,C-PID,C-COMM,IP,LADDR,LPORT,RADDR,RPORT,OLDSTATE,NEWSTATE,MS"u8);
                break;
            case OutputFormat.Wide:
                AppendColumns(ref line, "C-COMM"u8, 16, "IP"u8, 39);
                break;
            default:
                AppendColumns(ref line, "C-COMM"u8, 10, default, 15);
                break;
        }
        if (Containers is not null)
            AppendContainersHeader(ref line);
        line.Append((byte)'\n');
        _length += line.Length;
    }

    [System.Runtime.CompilerServices.SkipLocalsInit]   // the name's scratch space is written before it is read
    public void Write(in TcpStateEvent e)
    {
        if (IsClosed)
            return;
        if (Json is not null)
        {
            AppendWhole(Json.Format(e));
            return;
        }
        var line = new Utf8Line(Reserve());
        if (_time)
            AppendClock(ref line);
        if (_timestamp)
            AppendSeconds(ref line, e.TimestampUs);

        int row = Csv
            ? ColumnRow.WriteCsv(line.Free, e)
            : ColumnRow.Write(line.Free, e, _format == OutputFormat.Wide, Containers is null ? 0 : MsWidth, _columns);
        if (row >= 0)
        {
            line.Advance(row);
            End(ref line, e);
            return;
        }

        char separator = Csv ? ',' : ' ';
        line.AppendHex(e.SkAddr, Csv ? 0 : 16);
        line.Append((byte)separator);
        line.AppendDecimal(e.Pid, Csv ? 0 : 5);
        line.Append((byte)separator);

        Span<byte> name = stackalloc byte[CommandName.MaxEscapedLength];
        name = name[..CommandName.WriteEscaped(e.TaskName, name)];
        ReadOnlySpan<byte> ip = e.IsIPv4 ? "4"u8 : "6"u8;
        switch (_format)
        {
            case OutputFormat.Csv:
                AppendCsvField(ref line, name);
                line.Append((byte)',');
                line.Append(ip);
                line.Append((byte)',');
                break;
            case OutputFormat.Wide:
                line.AppendCut(name, 16);
                line.Append((byte)' ');
                line.AppendPadded(ip, 2);
                line.Append((byte)' ');
                break;
            default:
                line.AppendCut(name, 10);
                line.Append((byte)' ');
                break;
        }

        int addressWidth = _format switch { OutputFormat.Wide => 39, OutputFormat.Csv => 0, _ => 15 };
        int stateWidth = Csv ? 0 : 11;
        AppendAddress(ref line, e.SourceAddress, e.IsIPv4, addressWidth);
        line.Append((byte)separator);
        line.AppendDecimal(e.SourcePort, Csv ? 0 : 5);
        line.Append((byte)separator);
        AppendAddress(ref line, e.DestinationAddress, e.IsIPv4, addressWidth);
        line.Append((byte)separator);
        line.AppendDecimal(e.DestinationPort, Csv ? 0 : 5);
        line.Append((byte)separator);
        AppendState(ref line, e.OldState, stateWidth);
        line.Append(Csv ? ","u8 : " -> "u8);
        AppendState(ref line, e.NewState, stateWidth);
        line.Append((byte)separator);
        line.AppendMilliseconds(e.DeltaUs, Containers is null || Csv ? 0 : MsWidth);
        End(ref line, e);
    }

    /// <summary>After MS: -C's columns, the newline; the line is then part of what is buffered.</summary>
    private void End(ref Utf8Line line, in TcpStateEvent e)
    {
        if (Containers is not null)
            AppendContainers(ref line, e, Containers);
        line.Append((byte)'\n');
        _length += line.Length;
    }

    /// <summary>Writes what is buffered to the output; false once the output is closed.</summary>
    public bool Flush()
    {
        if (IsClosed)
            return false;
        try
        {
            _output.Write(_buffer, 0, _length);
            _output.Flush();
        }
        catch (IOException ex)
        {
            // EPIPE: whoever read our output has gone (e.g. `| head`); that is the end, not an error. Anything else
            // (ENOSPC, EIO, ...) loses events: an error. Only the tool's own stream names the errno; .NET's streams
            // (in tests) do not, and count as a reader gone.
            IsClosed = true;
            if (ex is Posix.SystemError { Errno: not Posix.SystemError.EPIPE })
                WriteError = ex;
        }
        catch (ObjectDisposedException)
        {
            IsClosed = true;
        }
        _length = 0;
        return !IsClosed;
    }

    /// <summary>A line made elsewhere (JSON: up to a few KB with a long cgroup path).</summary>
    private void AppendWhole(ReadOnlySpan<byte> line)
    {
        if (BufferSize - _length < line.Length)
            Flush();
        line.CopyTo(_buffer.AsSpan(_length));
        _length += line.Length;
    }

    /// <summary>-C in columns: MS is padded so that NETNS lines up (a netns inode has 10 digits).</summary>
    private const int MsWidth = 9, NetNsWidth = 10;

    private void AppendContainersHeader(ref Utf8Line line)
    {
        if (Csv)
        {
            line.Append(",netns,cgroup"u8);
            return;
        }
        line.PadFrom(line.Length - 2, MsWidth);   // after "MS"
        line.Append((byte)' ');
        line.AppendPadded("NETNS"u8, NetNsWidth);
        line.Append(" CGROUP"u8);
    }

    /// <summary>The netns inode and the cgroup's path (its id while the path is unknown), escaped and cut as C-COMM.</summary>
    private void AppendContainers(ref Utf8Line line, in TcpStateEvent e, CgroupPaths cgroups)
    {
        line.Append(Csv ? (byte)',' : (byte)' ');
        line.AppendDecimal(e.NetNs, Csv ? 0 : NetNsWidth);
        line.Append(Csv ? (byte)',' : (byte)' ');
        CgroupPath? path = cgroups.Find(e.CgroupId);
        if (path is null)
            line.AppendDecimal(e.CgroupId);
        else if (Csv)
            AppendCsvField(ref line, path.Column);
        else
            line.Append(path.Column);
    }

    private Span<byte> Reserve()
    {
        if (BufferSize - _length < MaxLineLength)
            Flush();
        return _buffer.AsSpan(_length);
    }

    private void AppendPrefix(ref Utf8Line line, scoped ReadOnlySpan<byte> title, int width)
    {
        if (Csv)
            line.Append(title);
        else
            line.AppendPadded(title, width);
        line.Append(Csv ? (byte)',' : (byte)' ');
    }

    private static void AppendColumns(ref Utf8Line line, scoped ReadOnlySpan<byte> comm, int commWidth, scoped ReadOnlySpan<byte> ip, int addressWidth)
    {
        // "%-16s %-5s %-W.Ws %s%-A s..." (default) or "... %-16.16s %-2s %-39s ..." (wide)
        line.AppendPadded("SKADDR"u8, 16);
        line.Append((byte)' ');
        line.AppendPadded("C-PID"u8, 5);
        line.Append((byte)' ');
        line.AppendCut(comm, commWidth);
        line.Append((byte)' ');
        if (!ip.IsEmpty)
        {
            line.AppendPadded(ip, 2);
            line.Append((byte)' ');
        }
        line.AppendPadded("LADDR"u8, addressWidth);
        line.Append((byte)' ');
        line.AppendPadded("LPORT"u8, 5);
        line.Append((byte)' ');
        line.AppendPadded("RADDR"u8, addressWidth);
        line.Append((byte)' ');
        line.AppendPadded("RPORT"u8, 5);
        line.Append((byte)' ');
        line.AppendPadded("OLDSTATE"u8, 11);
        line.Append(" -> "u8);
        line.AppendPadded("NEWSTATE"u8, 11);
        line.Append(" MS"u8);
    }

    private void AppendClock(ref Utf8Line line)
    {
        // strftime("%H:%M:%S") at print time, local time, as the original.
        DateTimeOffset now = _clock.GetLocalNow();
        AppendTwoDigits(ref line, now.Hour);
        line.Append((byte)':');
        AppendTwoDigits(ref line, now.Minute);
        line.Append((byte)':');
        AppendTwoDigits(ref line, now.Second);
        line.Append(Csv ? (byte)',' : (byte)' ');
    }

    private void AppendSeconds(ref Utf8Line line, ulong timestampUs)
    {
        if (!_haveStart)
        {
            _startUs = timestampUs;
            _haveStart = true;
        }
        // Python: (float(ts_us) - start_ts) / 1000000, negative when rings deliver out of order.
        if (timestampUs < MaxExactUs && _startUs < MaxExactUs)
        {
            line.AppendMicrosAsSeconds((long)timestampUs - (long)_startUs, Csv ? 0 : 9);
        }
        else
        {
            double seconds = ((double)timestampUs - _startUs) / 1000000;
            line.AppendFixed(seconds, 6, Csv ? 0 : 9);
        }
        line.Append(Csv ? (byte)',' : (byte)' ');
    }

    /// <summary>Below 2^53 a timestamp and the difference of two are exact as doubles (see <see cref="AsciiNumber.WriteMicrosAsSeconds"/>).</summary>
    private const ulong MaxExactUs = 1UL << 53;

    private static void AppendTwoDigits(ref Utf8Line line, int value)
    {
        line.Append((byte)('0' + value / 10));
        line.Append((byte)('0' + value % 10));
    }

    private static void AppendAddress(ref Utf8Line line, scoped ReadOnlySpan<byte> address, bool ipv4, int width)
    {
        int start = line.Length;
        line.Advance(AddressText.Write(address, ipv4, line.Free));
        line.PadFrom(start, width);
    }

    private static void AppendState(ref Utf8Line line, int state, int width)
    {
        int start = line.Length;
        line.Advance(TcpState.Write(state, line.Free));
        line.PadFrom(start, width);
    }

    /// <summary>RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.</summary>
    private static void AppendCsvField(ref Utf8Line line, scoped ReadOnlySpan<byte> field)
    {
        if (field.IndexOfAny(",\"\r\n"u8) < 0)
        {
            line.Append(field);
            return;
        }
        line.Append((byte)'"');
        foreach (byte b in field)
        {
            if (b == '"')
                line.Append((byte)'"');
            line.Append(b);
        }
        line.Append((byte)'"');
    }
}
