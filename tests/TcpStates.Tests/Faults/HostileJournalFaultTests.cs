using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>
/// -Y with hostile command names: whatever a traced process calls itself, each journal entry has exactly the
/// tool's fields, each once, and the name arrives whole inside its value (with the protocol's binary-safe form
/// where it holds a newline; invalid UTF-8 replaced by U+FFFD as in bcc), never as a field of its own.
/// The journal is a datagram socket of the test's (TCPSTATES_JOURNAL_SOCKET), each datagram parsed as journald
/// does; one case goes through the real journald.
/// </summary>
[Collection("tracer")]
public sealed class HostileJournalFaultTests
{
    /// <summary>printf formats of the names (at most 15 bytes: the kernel's comm).</summary>
    private static readonly string[] Names =
    [
        @"esc\033[2Jx",
        @"nl\nffff 1 fake",
        @"tab\tx",
        @"cr\rx",
        @"com,ma,1,2",
        @"q""uo""te",
        @"back\\\\slash",
        @"eq=ual=1",
        @"bad\377\376utf8",
        @"c1\302\233x",
        @"c1raw\233x",
        @"del\177x",
        @"rlo\342\200\256x",       // U+202E RIGHT-TO-LEFT OVERRIDE
        @"lri\342\201\246x",       // U+2066 LEFT-TO-RIGHT ISOLATE
        @"X\nPRIORITY=0",          // a journal field after a newline
        @"\nMESSAGE=forged",
    ];

    private static readonly string[] Fields4 =
    [
        "MESSAGE", "SYSLOG_IDENTIFIER", "PRIORITY", "OBJECT_PID", "OBJECT_IPV4_SOURCE_ADDRESS", "OBJECT_TCP_SOURCE_PORT",
        "OBJECT_IPV4_DESTINATION_ADDRESS", "OBJECT_TCP_DESTINATION_PORT", "OBJECT_TCP_OLD_STATE", "OBJECT_TCP_NEW_STATE",
        "OBJECT_TCP_SPAN_TIME",
    ];

    [KernelFact]
    public void As_root_no_name_adds_a_field_and_MESSAGE_carries_it_whole() => EntriesKeepTheirFields(asRoot: true);

    /// <summary>Not root (CAP_BPF and CAP_PERFMON as ambient capabilities): OBJECT_COMM is sent too.</summary>
    [KernelFact]
    public void Not_root_no_name_adds_a_field_and_OBJECT_COMM_carries_it_whole() => EntriesKeepTheirFields(asRoot: false);

    private static void EntriesKeepTheirFields(bool asRoot)
    {
        using var leftovers = ToolLeftovers.Watch();
        string dir = Directory.CreateTempSubdirectory("tcpstates-hostile-journal-").FullName;
        string path = Path.Combine(dir, "journal.sock");
        using var journal = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        journal.Bind(new UnixDomainSocketEndPoint(path));
        journal.ReceiveBufferSize = 4 << 20;
        var datagrams = new List<byte[]>();
        bool stop = false;
        var reader = new Thread(() =>
        {
            byte[] buffer = new byte[128 * 1024];
            while (!Volatile.Read(ref stop) || journal.Available > 0)
            {
                if (!journal.Poll(50_000, SelectMode.SelectRead)) continue;
                int n = journal.Receive(buffer);
                lock (datagrams) datagrams.Add(buffer[..n]);
            }
        });
        reader.Start();
        try
        {
            // connect() needs write permission on the socket, for uid 65534 too.
            string run = asRoot ? "\"$BIN\"" :
                "chmod a+rwx \"${TCPSTATES_JOURNAL_SOCKET%/*}\" \"$TCPSTATES_JOURNAL_SOCKET\"; setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+bpf,+perfmon --ambient-caps=+bpf,+perfmon \"$BIN\"";
            (int port, List<(int Pid, byte[] Name)> processes, _) = TraceHostileConnections(run, path);
            Volatile.Write(ref stop, true);
            reader.Join();

            string[] fields = asRoot ? Fields4 : [.. Fields4, "OBJECT_COMM"];
            List<List<(string Name, byte[] Value)>> entries = datagrams.Select(Parse).ToList();
            foreach (List<(string Name, byte[] Value)> entry in entries)
            {
                IEnumerable<string> names = entry.Select(f => f.Name);
                if (entry.Any(f => f.Name == "OBJECT_IPV6_SOURCE_ADDRESS"))   // -D keeps other traffic out, but IPv6 has its own names
                    names = names.Select(n => n.Replace("IPV6", "IPV4", StringComparison.Ordinal));
                Assert.Equal(fields.Order(), names.Order());
                Assert.Equal("5", Text(entry, "PRIORITY"));
                Assert.Equal("tcpstates", Text(entry, "SYSLOG_IDENTIFIER"));
            }
            foreach ((int pid, byte[] name) in processes)
            {
                List<(string Name, byte[] Value)> connect = Assert.Single(entries, e =>
                    Text(e, "OBJECT_PID") == pid.ToString(CultureInfo.InvariantCulture) && Text(e, "OBJECT_TCP_NEW_STATE") == "SYN_SENT");
                byte[] shown = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(name));   // invalid UTF-8 as U+FFFD
                string rest = $" 127.0.0.1 {Text(connect, "OBJECT_TCP_SOURCE_PORT")} → 127.0.0.1 {port} CLOSE → SYN_SENT";
                Assert.Equal([.. shown, .. Encoding.UTF8.GetBytes(rest)], Value(connect, "MESSAGE"));
                if (!asRoot) Assert.Equal(shown, Value(connect, "OBJECT_COMM"));
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            reader.Join();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The tool (<paramref name="run"/>, with -Y and -D for the port) traces one connection from a copy of bash under
    /// each hostile name; returns the port, each copy's pid and kernel name, and the tool's pid.
    /// </summary>
    private static (int Port, List<(int Pid, byte[] Name)> Processes, int ToolPid) TraceHostileConnections(
        string run, string journalSocket, params string[] names)
    {
        if (names.Length == 0) names = Names;
        using var listener = Traffic.Listen(IPAddress.Loopback);
        listener.Listen(64);
        int port = Traffic.PortOf(listener);
        string formats = string.Join(' ', names.Select(n => "'" + n.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        (int code, string stdout, string stderr) = ToolScript.Run($$"""
            dir=$(mktemp -d); out=$(mktemp)
            {{run}} -Y -s -D {{port}} > "$out" & pid=$!
            echo "tool $pid"
            for i in $(seq 300); do [ -s "$out" ] && break; sleep 0.1; done
            n=0
            for f in {{formats}}; do
              name=$(printf "$f"; echo .); name=${name%.}
              cp /bin/bash "$dir/$name"
              "$dir/$name" -c 'echo "$$ $(cat /proc/$$/comm | head -c -1 | base64 -w0)"; exec 3<>/dev/tcp/127.0.0.1/{{port}}' || exit 98
              n=$((n + 1))
            done
            for i in $(seq 100); do [ $(grep -a -c 'SYN_SENT' "$out") -ge $n ] && break; sleep 0.1; done
            tool_seen; kill -TERM $pid; wait $pid; rc=$?
            rm -rf "$dir" "$out"; exit $rc
            """, environment: new Dictionary<string, string> { [JournalSocketVariable] = journalSocket });
        Assert.True(code == 0, $"exit {code}; stderr: {stderr}");
        // Not root, tracefs' id files are unreadable: the tool says once that it cannot count the tracepoint's hits.
        ToolScript.AssertOnlyLossReports(string.Join('\n', ToolScript.Lines(stderr)
            .Where(l => !l.StartsWith("tcpstates: no count of the tracepoint's hits", StringComparison.Ordinal))));
        string[] lines = ToolScript.Lines(stdout);
        int tool = int.Parse(lines[0]["tool ".Length..], CultureInfo.InvariantCulture);
        List<(int, byte[])> processes = lines[1..].Select(l => l.Split(' '))
            .Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), Convert.FromBase64String(p[1]))).ToList();
        Assert.Equal(names.Length, processes.Count);
        return (port, processes, tool);
    }

    private const string JournalSocketVariable = "TCPSTATES_JOURNAL_SOCKET";

    /// <summary>
    /// One datagram of journald's native protocol: NAME=value\n, or NAME\n, a 64-bit little-endian length, the value
    /// and \n. Names as journald accepts them: A-Z, 0-9 and _, not starting with _ (those are journald's own).
    /// </summary>
    private static List<(string Name, byte[] Value)> Parse(byte[] datagram)
    {
        var fields = new List<(string, byte[])>();
        int i = 0;
        while (i < datagram.Length)
        {
            int end = i;
            while (end < datagram.Length && datagram[end] != '=' && datagram[end] != '\n') end++;
            Assert.True(end < datagram.Length, "a field name without value at the end of the entry");
            string name = Encoding.ASCII.GetString(datagram, i, end - i);
            Assert.Matches("^[A-Z0-9][A-Z0-9_]*$", name);
            byte[] value;
            if (datagram[end] == '=')
            {
                int newline = Array.IndexOf(datagram, (byte)'\n', end + 1);
                Assert.True(newline >= 0, $"{name}: no newline after the value");
                value = datagram[(end + 1)..newline];
                i = newline + 1;
            }
            else
            {
                Assert.True(end + 9 <= datagram.Length, $"{name}: no length");
                ulong length = BinaryPrimitives.ReadUInt64LittleEndian(datagram.AsSpan(end + 1, 8));
                Assert.True(length <= (ulong)(datagram.Length - end - 9 - 1), $"{name}: a length past the entry");
                int start = end + 9;
                value = datagram[start..(start + (int)length)];
                Assert.Equal((byte)'\n', datagram[start + (int)length]);
                i = start + (int)length + 1;
            }
            fields.Add((name, value));
        }
        return fields;
    }

    private static byte[] Value(List<(string Name, byte[] Value)> entry, string name) => Assert.Single(entry, f => f.Name == name).Value;

    private static string Text(List<(string Name, byte[] Value)> entry, string name) => Encoding.UTF8.GetString(Value(entry, name));

    [KernelFact]
    public void Through_journald_a_name_with_a_field_after_a_newline_stays_in_MESSAGE()
    {
        using var leftovers = ToolLeftovers.Watch();
        JournalEndToEndTests.EnsureJournald();
        (int port, List<(int Pid, byte[] Name)> processes, int tool) =
            TraceHostileConnections("\"$BIN\"", "/run/systemd/journal/socket", @"X\nPRIORITY=0", @"esc\033[2J\nMESSAGE=x");

        List<JsonElement> entries = [];
        for (int attempt = 0; attempt < 50; attempt++)   // journald writes asynchronously
        {
            entries = JournalOf(tool);
            if (entries.Count(e => Field(e, "OBJECT_TCP_NEW_STATE") == "SYN_SENT") >= processes.Count) break;
            Thread.Sleep(100);
        }
        Assert.NotEmpty(entries);
        foreach (JsonElement e in entries)
        {
            // One value each (journalctl shows a repeated field as an array of values): nothing added or doubled.
            Assert.Equal("5", Field(e, "PRIORITY"));
            Assert.Equal("tcpstates", Field(e, "SYSLOG_IDENTIFIER"));
            Assert.Equal(port.ToString(CultureInfo.InvariantCulture), Field(e, "OBJECT_TCP_DESTINATION_PORT"));
        }
        foreach ((int pid, byte[] name) in processes)
        {
            JsonElement connect = Assert.Single(entries, e => Field(e, "OBJECT_PID") == pid.ToString(CultureInfo.InvariantCulture) &&
                Field(e, "OBJECT_TCP_NEW_STATE") == "SYN_SENT");
            Assert.Equal([.. name, .. " 127.0.0.1 "u8], Bytes(connect.GetProperty("MESSAGE"))[..(name.Length + 11)]);
        }
    }

    /// <summary>The entries the tool (process <paramref name="pid"/>) logged, as `journalctl -o json` shows them.</summary>
    private static List<JsonElement> JournalOf(int pid)
    {
        var psi = new ProcessStartInfo("journalctl", $"_PID={pid} -o json --no-pager --since -10min")
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "journalctl did not finish");
        _ = stderr.Result;
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    /// <summary>A string value, null when absent or not a single UTF-8 string (journalctl shows those as arrays).</summary>
    private static string? Field(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A value's bytes: journalctl writes a value that is not printable UTF-8 as an array of byte numbers.</summary>
    private static byte[] Bytes(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? Encoding.UTF8.GetBytes(value.GetString()!)
        : value.EnumerateArray().Select(b => b.GetByte()).ToArray();
}
