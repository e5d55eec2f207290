using System.Buffers;
using System.Globalization;
using System.Text.Json;
using TcpStates.Containers;

namespace TcpStates.Output;

/// <summary>
/// -j: one event as one line of JSON, written by System.Text.Json's Utf8JsonWriter (no reflection, AOT-safe)
/// into one reused buffer. Its default encoder escapes every string: control characters, quotes, backslashes
/// and everything outside ASCII (bidi controls included) become \u escapes, so no command name or cgroup path
/// can end a line early or open a field. The command name is first escaped as the text columns escape it
/// (\xNN for controls and bytes that are not UTF-8, \\ for a backslash): the same name in every output, and
/// no byte of it lost. Keys and their order are the ones the man page documents.
/// </summary>
public sealed class JsonEventFormatter
{
    private static readonly JsonEncodedText TsNs = JsonEncodedText.Encode("ts_ns"), Time = JsonEncodedText.Encode("time"),
        Ts = JsonEncodedText.Encode("ts"), SkAddr = JsonEncodedText.Encode("skaddr"), Pid = JsonEncodedText.Encode("pid"),
        Comm = JsonEncodedText.Encode("comm"), Family = JsonEncodedText.Encode("family"), LAddr = JsonEncodedText.Encode("laddr"),
        LPort = JsonEncodedText.Encode("lport"), RAddr = JsonEncodedText.Encode("raddr"), RPort = JsonEncodedText.Encode("rport"),
        OldState = JsonEncodedText.Encode("oldstate"), NewState = JsonEncodedText.Encode("newstate"), Ms = JsonEncodedText.Encode("ms"),
        NetNs = JsonEncodedText.Encode("netns"), CgroupId = JsonEncodedText.Encode("cgroup_id"), Cgroup = JsonEncodedText.Encode("cgroup");

    private readonly bool _time;
    private readonly bool _timestamp;
    private readonly TimeProvider _clock;
    private readonly CgroupPaths _cgroups;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _writer;
    private bool _haveStart;
    private ulong _startUs;

    /// <param name="time">-T: a "time" key, the wall clock when the event is printed.</param>
    /// <param name="timestamp">-t: a "ts" key, seconds since the first event.</param>
    /// <param name="clock">The wall clock.</param>
    /// <param name="cgroups">Resolves the "cgroup" key's path.</param>
    public JsonEventFormatter(bool time, bool timestamp, TimeProvider clock, CgroupPaths cgroups)
    {
        _time = time;
        _timestamp = timestamp;
        _clock = clock;
        _cgroups = cgroups;
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Indented = false, SkipValidation = true });
    }

    /// <summary>The event as one JSON object and a '\n'; valid until the next call.</summary>
    public ReadOnlySpan<byte> Format(in TcpStateEvent e)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset();
        Utf8JsonWriter w = _writer;
        Span<byte> text = stackalloc byte[64];

        w.WriteStartObject();
        w.WriteNumber(TsNs, e.TimestampNs);
        if (_time)
        {
            // ISO 8601, local time with its offset, to the microsecond.
            DateTimeOffset now = _clock.GetLocalNow();
            now.TryFormat(text, out int written, "yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);
            w.WriteString(Time, text[..written]);
        }
        if (_timestamp)
        {
            if (!_haveStart)
            {
                _startUs = e.TimestampUs;
                _haveStart = true;
            }
            // As -t's TIME(s): negative when rings deliver out of order.
            double seconds = ((double)e.TimestampUs - _startUs) / 1000000;
            w.WritePropertyName(Ts);
            w.WriteRawValue(text[..AsciiNumber.WriteFixed(seconds, 6, text)], skipInputValidation: true);
        }
        w.WriteString(SkAddr, text[..AsciiNumber.WriteHex(e.SkAddr, text)]);
        w.WriteNumber(Pid, e.Pid);

        Span<byte> name = stackalloc byte[CommandName.MaxEscapedLength];
        w.WriteString(Comm, name[..CommandName.WriteEscaped(e.TaskName, name)]);
        w.WriteNumber(Family, e.IsIPv4 ? 4 : 6);
        w.WriteString(LAddr, text[..AddressText.Write(e.SourceAddress, e.IsIPv4, text)]);
        w.WriteNumber(LPort, e.SourcePort);
        w.WriteString(RAddr, text[..AddressText.Write(e.DestinationAddress, e.IsIPv4, text)]);
        w.WriteNumber(RPort, e.DestinationPort);
        w.WriteString(OldState, text[..TcpState.Write(e.OldState, text)]);
        w.WriteString(NewState, text[..TcpState.Write(e.NewState, text)]);
        w.WritePropertyName(Ms);
        w.WriteRawValue(text[..AsciiNumber.WriteFixed(e.DeltaUs / 1000.0, 3, text)], skipInputValidation: true);
        w.WriteNumber(NetNs, e.NetNs);
        w.WriteNumber(CgroupId, e.CgroupId);
        CgroupPath? cgroup = _cgroups.Find(e.CgroupId);
        if (cgroup is null)
            w.WriteNull(Cgroup);
        else
            w.WriteString(Cgroup, cgroup.Utf8);
        w.WriteEndObject();
        w.Flush();

        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
        return _buffer.WrittenSpan;
    }
}
