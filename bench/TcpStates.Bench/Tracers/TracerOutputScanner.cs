using System.Diagnostics;
using System.Globalization;

namespace TcpStates.Bench.Tracers;

/// <summary>
/// Counts a tracer's output lines as bytes arrive: the header (first line, and when it came), and
/// per TCP port the event lines that carry it as LPORT or RPORT. The ports are read from the end of
/// the line (… LPORT RADDR RPORT OLDSTATE -> NEWSTATE MS), which holds for libbpf-tools and bcc
/// columns alike, whatever a COMM with spaces does to the front. It also follows each socket (SKADDR, the
/// first column) from row to row: a row whose OLDSTATE is not the NEWSTATE of its socket's row before is out
/// of chain (a row before it missing, or rows printed out of order). After CLOSE the address may be a new
/// socket's, whose first row starts from CLOSE (a connect) or LISTEN (an accepted one); any other row there is out
/// of chain too (a change to CLOSE printed twice).
/// </summary>
internal sealed class TracerOutputScanner
{
    private readonly byte[] _line = new byte[1024];
    private readonly int[] _linesByPort = new int[65536];
    private readonly int[] _outOfChainByPort = new int[65536];
    private readonly Dictionary<ulong, int> _lastStateBySocket = new();
    private readonly ManualResetEventSlim _headerSeen = new(false);
    private int _lineLength;

    public long Lines { get; private set; }

    public long HeaderTimestamp { get; private set; }

    public string? Header { get; private set; }

    public WaitHandle HeaderSeen => _headerSeen.WaitHandle;

    /// <summary>Event lines (not the header) with <paramref name="port"/> as local or remote port.</summary>
    public long LinesWithPort(int port) => _linesByPort[port];

    public long EventLines => Math.Max(0, Lines - 1);

    /// <summary>Event lines out of their socket's chain (see the class), all ports.</summary>
    public long OutOfChain { get; private set; }

    /// <summary>Event lines out of their socket's chain with <paramref name="port"/> as local or remote port.</summary>
    public long OutOfChainWithPort(int port) => _outOfChainByPort[port];

    /// <summary>A scanner fed the file at <paramref name="path"/>, all of it or up to its first zero byte.</summary>
    public static TracerOutputScanner FromFile(string path, bool untilZero)
    {
        var scanner = new TracerOutputScanner();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        var buffer = new byte[1 << 16];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            int end = untilZero ? Array.IndexOf(buffer, (byte)0, 0, n) : -1;
            scanner.Feed(buffer.AsSpan(0, end < 0 ? n : end));
            if (end >= 0)
                break;
        }
        scanner.Complete();
        return scanner;
    }

    public void Feed(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int nl = bytes.IndexOf((byte)'\n');
            ReadOnlySpan<byte> part = nl < 0 ? bytes : bytes[..nl];
            int room = _line.Length - _lineLength;
            part[..Math.Min(room, part.Length)].CopyTo(_line.AsSpan(_lineLength));
            _lineLength += Math.Min(room, part.Length);
            if (nl < 0)
                return;
            EndLine();
            bytes = bytes[(nl + 1)..];
        }
    }

    /// <summary>Counts a last line that has no newline.</summary>
    public void Complete()
    {
        if (_lineLength > 0)
            EndLine();
    }

    private void EndLine()
    {
        ReadOnlySpan<byte> line = _line.AsSpan(0, _lineLength);
        _lineLength = 0;
        Lines++;
        if (Lines == 1)
        {
            HeaderTimestamp = Stopwatch.GetTimestamp();
            // Without control characters: .NET's console sends keypad-mode escapes to a terminal first.
            Header = new string(System.Text.Encoding.UTF8.GetString(line).Where(c => !char.IsControl(c)).ToArray()).Trim();
            _headerSeen.Set();
            return;
        }
        // Tokens from the end: 0 MS, 1 NEWSTATE, 2 "->", 3 OLDSTATE, 4 RPORT, 5 RADDR, 6 LPORT.
        int lport = -1, rport = -1, index = 0, newState = 0, oldState = 0;
        int end = line.Length;
        while (end > 0 && index <= 6)
        {
            while (end > 0 && IsBlank(line[end - 1]))
                end--;
            int start = end;
            while (start > 0 && !IsBlank(line[start - 1]))
                start--;
            if (start == end)
                break;
            if (index == 1)
                newState = StateCode(line[start..end]);
            else if (index == 3)
                oldState = StateCode(line[start..end]);
            else if (index == 4)
                rport = ParsePort(line[start..end]);
            else if (index == 6)
                lport = ParsePort(line[start..end]);
            end = start;
            index++;
        }
        if (lport >= 0)
            _linesByPort[lport]++;
        if (rport >= 0 && rport != lport)
            _linesByPort[rport]++;
        if (newState == 0 || oldState == 0 || ParseSocket(line) is not ulong socket)
            return;
        bool outOfChain = _lastStateBySocket.TryGetValue(socket, out int last)
            && (last == Close ? oldState != Close && oldState != Listen : last != oldState);
        _lastStateBySocket[socket] = newState;
        if (!outOfChain)
            return;
        OutOfChain++;
        if (lport >= 0)
            _outOfChainByPort[lport]++;
        if (rport >= 0 && rport != lport)
            _outOfChainByPort[rport]++;
    }

    private static readonly int Close = StateCode("CLOSE"u8), Listen = StateCode("LISTEN"u8);

    /// <summary>A state name as a number: its first and last byte and its length tell the kernel's names apart.</summary>
    private static int StateCode(ReadOnlySpan<byte> name) =>
        name.IsEmpty ? 0 : name[0] | name[^1] << 8 | Math.Min(name.Length, 255) << 16;

    /// <summary>SKADDR, the first column, in hex; null when the line does not start with one.</summary>
    private static ulong? ParseSocket(ReadOnlySpan<byte> line)
    {
        line = line.TrimStart(Blanks);
        int end = line.IndexOfAny(Blanks);
        return ulong.TryParse(end < 0 ? line : line[..end], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture,
            out ulong value) ? value : null;
    }

    // A terminal turns "\n" into "\r\n".
    private static ReadOnlySpan<byte> Blanks => " \r\t"u8;

    private static bool IsBlank(byte b) => Blanks.Contains(b);

    private static int ParsePort(ReadOnlySpan<byte> token)
    {
        if (token.IsEmpty || token.Length > 5)
            return -1;
        int value = 0;
        foreach (byte b in token)
        {
            if (b is < (byte)'0' or > (byte)'9')
                return -1;
            value = value * 10 + (b - '0');
        }
        return value <= 65535 ? value : -1;
    }
}
