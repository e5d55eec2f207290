using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>
/// A traced process picks its own command name: control characters, line breaks, CSV delimiters, bytes
/// that are not UTF-8. Each is the name of a copy of bash that opens one connection (bash's /dev/tcp);
/// whatever the name, each event stays one line of the right shape, in text and in CSV.
/// </summary>
[Collection("tracer")]
public sealed partial class HostileNameFaultTests
{
    /// <summary>printf formats of the names (at most 15 bytes: the kernel's comm).</summary>
    private static readonly string[] Names =
    [
        @"esc\033[2Jx",           // ESC: a terminal escape
        @"nl\nffff 1 fake",       // newline: a forged row
        @"tab\tx",
        @"cr\rx",
        @"com,ma,1,2",            // CSV delimiters
        @"q""uo""te",
        @"back\\\\slash",
        @"bad\377\376utf8",       // not UTF-8
        @"c1\302\233x",           // U+009B (CSI), a C1 control in UTF-8
        @"c1raw\233x",            // the same byte alone
        @"del\177x",
    ];

    private static (string Output, string Stderr, int Port) TraceHostileConnections(string args)
    {
        using var leftovers = ToolLeftovers.Watch();
        using var listener = Traffic.Listen(IPAddress.Loopback);
        listener.Listen(64);
        int port = Traffic.PortOf(listener);
        string names = string.Join(' ', Names.Select(n => "'" + n.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        (int code, string stdout, string stderr) = ToolScript.Run($$"""
            dir=$(mktemp -d); out=$(mktemp)
            "$BIN" {{args}} > "$out" & pid=$!
            for i in $(seq 300); do [ -s "$out" ] && break; sleep 0.1; done
            n=0
            for f in {{names}}; do
              name=$(printf "$f"; echo .); name=${name%.}
              cp /bin/bash "$dir/$name"
              "$dir/$name" -c 'exec 3<>/dev/tcp/127.0.0.1/{{port}}' || exit 98
              n=$((n + 1))
            done
            for i in $(seq 100); do [ $(grep -a -c 'SYN_SENT' "$out") -ge $n ] && break; sleep 0.1; done
            tool_seen; kill -TERM $pid; wait $pid; rc=$?
            base64 -w0 < "$out"; rm -rf "$dir" "$out"; exit $rc
            """);
        Assert.True(code == 0, $"exit {code}; stderr: {stderr}");
        return (Encoding.Latin1.GetString(Convert.FromBase64String(stdout)), stderr, port);
    }

    /// <summary>No control character at all (a line ends in \n, which is not kept here), raw or as C1 in UTF-8.</summary>
    private static void AssertNoControls(string line)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(line);
        Assert.DoesNotContain(bytes, b => b < 0x20 || b == 0x7f);
        string decoded = Encoding.UTF8.GetString(bytes);
        Assert.DoesNotContain(decoded, c => c is >= '\u0080' and <= '\u009f');
    }

    [KernelFact]
    public void Text_rows_stay_one_line_each()
    {
        (string output, string stderr, int port) = TraceHostileConnections("");
        ToolScript.AssertOnlyLossReports(stderr);
        string[] lines = output.TrimEnd('\n').Split('\n');
        Assert.StartsWith("SKADDR", lines[0], StringComparison.Ordinal);
        foreach (string line in lines.Skip(1))
        {
            AssertNoControls(line);
            Assert.Matches(TextRow(), line);
        }
        string p = " " + port.ToString(CultureInfo.InvariantCulture) + " ";
        Assert.Equal(Names.Length, lines.Count(l => l.Contains(p, StringComparison.Ordinal) && Regex.IsMatch(l, "CLOSE +-> SYN_SENT ")));
    }

    [KernelFact]
    public void Csv_rows_parse_to_their_fields()
    {
        (string output, string stderr, int port) = TraceHostileConnections("-s");
        ToolScript.AssertOnlyLossReports(stderr);
        string[] lines = output.TrimEnd('\n').Split('\n');
        Assert.Equal("SKADDR,C-PID,C-COMM,IP,LADDR,LPORT,RADDR,RPORT,OLDSTATE,NEWSTATE,MS", lines[0]);
        int hostile = 0;
        foreach (string line in lines.Skip(1))
        {
            AssertNoControls(line);
            List<string> fields = ParseCsv(line);
            Assert.True(fields.Count == 11, $"{fields.Count} fields in: {line}");
            Assert.Matches("^[0-9a-f]+$", fields[0]);
            Assert.True(int.TryParse(fields[5], NumberStyles.None, CultureInfo.InvariantCulture, out _), line);
            Assert.True(int.TryParse(fields[7], NumberStyles.None, CultureInfo.InvariantCulture, out int rport), line);
            if (rport == port && fields[8] == "CLOSE" && fields[9] == "SYN_SENT") hostile++;
        }
        Assert.Equal(Names.Length, hostile);
    }

    /// <summary>RFC 4180: a field is bare (no comma or quote) or quoted with doubled quotes inside; anything else fails.</summary>
    private static List<string> ParseCsv(string line)
    {
        var fields = new List<string>();
        int i = 0;
        while (true)
        {
            var field = new StringBuilder();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    Assert.True(i < line.Length, "unterminated quoted field: " + line);
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    field.Append(line[i++]);
                }
            }
            else
            {
                while (i < line.Length && line[i] != ',')
                {
                    Assert.True(line[i] != '"', "a quote in a bare field: " + line);
                    field.Append(line[i++]);
                }
            }
            fields.Add(field.ToString());
            if (i == line.Length) return fields;
            Assert.True(line[i] == ',', "text after a quoted field: " + line);
            i++;
        }
    }

    [GeneratedRegex(@"^[0-9a-f]{16} +\d+ +\S.* +[0-9a-f.:]+ +\d+ +[0-9a-f.:]+ +\d+ +[A-Z_0-9]+ +-> [A-Z_0-9]+ +\d+\.\d{3}$")]
    private static partial Regex TextRow();
}
