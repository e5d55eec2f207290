using System.Globalization;

namespace TcpStates.Tests.EndToEnd;

/// <summary>One output row of the tool, parsed back from any of its modes.</summary>
public sealed record TraceLine(
    string? Time, double? Seconds, ulong SkAddr, int Pid, string Comm, string? Ip,
    string LocalAddress, int LocalPort, string RemoteAddress, int RemotePort,
    string OldState, string NewState, double Ms)
{
    public string Transition => $"{OldState}->{NewState}";

    /// <summary>Parses a row printed with the given flags; the header row gives null.</summary>
    public static TraceLine? Parse(string line, bool csv, bool wide, bool time, bool timestamp)
    {
        if (line.StartsWith("SKADDR", StringComparison.Ordinal) || line.StartsWith("TIME", StringComparison.Ordinal))
            return null;
        string[] f;
        if (csv)
        {
            // Quoted as RFC 4180: a command name may hold commas and quotes (another process's, on a busy host).
            f = SplitCsv(line);
        }
        else
        {
            // Command names may hold spaces: take fixed fields from both ends, the rest is C-COMM.
            string[] t = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int lead = (time ? 1 : 0) + (timestamp ? 1 : 0);
            int tail = wide ? 9 : 8; // [IP] LADDR LPORT RADDR RPORT OLD -> NEW MS
            var list = new List<string>(t[..(lead + 2)]);
            list.Add(string.Join(' ', t[(lead + 2)..^tail]));
            if (!wide) list.Add("");
            list.AddRange(t[^tail..].Where(x => x != "->"));
            f = list.ToArray();
        }
        int i = 0;
        string? clock = time ? f[i++] : null;
        double? seconds = timestamp ? double.Parse(f[i++], CultureInfo.InvariantCulture) : null;
        return new TraceLine(
            clock, seconds,
            ulong.Parse(f[i++], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            int.Parse(f[i++], CultureInfo.InvariantCulture),
            f[i++],
            NullIfEmpty(f[i++]),
            f[i++], int.Parse(f[i++], CultureInfo.InvariantCulture),
            f[i++], int.Parse(f[i++], CultureInfo.InvariantCulture),
            f[i++], f[i++],
            double.Parse(f[i], CultureInfo.InvariantCulture));
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields.ToArray();
    }
}

/// <summary>The rows of one socket, from its first change until its CLOSE (a later socket may reuse the address).</summary>
public sealed record SocketHistory(ulong SkAddr, List<TraceLine> Lines)
{
    public string[] Transitions => Lines.Select(l => l.Transition).ToArray();

    public TraceLine Line(string transition) => Lines.Single(l => l.Transition == transition);

    public static List<SocketHistory> Group(IEnumerable<TraceLine> lines)
    {
        var done = new List<SocketHistory>();
        var open = new Dictionary<ulong, SocketHistory>();
        foreach (TraceLine l in lines)
        {
            if (!open.TryGetValue(l.SkAddr, out SocketHistory? h))
            {
                h = new SocketHistory(l.SkAddr, new List<TraceLine>());
                open[l.SkAddr] = h;
                done.Add(h);
            }
            h.Lines.Add(l);
            if (l.NewState == "CLOSE") open.Remove(l.SkAddr);
        }
        return done;
    }
}
