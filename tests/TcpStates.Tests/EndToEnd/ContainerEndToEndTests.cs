using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using TcpStates.Containers;

namespace TcpStates.Tests.EndToEnd;

/// <summary>
/// -j, -C, --netns and --cgroup with the published binary and real traffic: on loopback, inside and across a
/// network namespace of the test's own, and from processes the test moves into cgroups of its own. Each runs
/// through tp_btf and through the classic tracepoint (TCPSTATES_ATTACH=tracepoint): both must carry the fields.
/// </summary>
[Collection("tracer")]
public sealed class ContainerEndToEndTests
{
    private static readonly TimeSpan Hold = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private static readonly string[] AttachModes = ["tp_btf", "tracepoint"];

    private static Dictionary<string, string> Environment(string attach) =>
        attach == "tracepoint" ? new() { ["TCPSTATES_ATTACH"] = "tracepoint" } : new();

    /// <summary>Every line of the run, each parsed as one JSON object (a line that is not fails the test).</summary>
    private static List<JsonElement> Objects(TracerRun run) =>
        run.Lines.Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();

    private static List<JsonElement> ForPort(TracerRun run, int port) =>
        Objects(run).Where(o => o.GetProperty("lport").GetInt32() == port || o.GetProperty("rport").GetInt32() == port).ToList();

    private static void WaitFor(TracerRun run, int port, int count, string attach) =>
        run.WaitForLines(_ => ForPort(run, port).Count >= count, Wait, $"{count} JSON lines for port {port} ({attach})");

    private static string Transition(JsonElement o) => o.GetProperty("oldstate").GetString() + "->" + o.GetProperty("newstate").GetString();

    private static uint NetnsInode(string path)
    {
        Assert.True(NetworkNamespaceArgument.TryResolve(path, out uint inode, out string? error), error);
        return inode;
    }

    private static ulong CgroupId(string directory)
    {
        Assert.True(CgroupArgument.TryResolve(directory, out ulong id, out string? error), error);
        return id;
    }

    /// <summary>This process's cgroup v2 path, as /proc/self/cgroup has it ("0::/PATH").</summary>
    private static string OwnCgroup() =>
        File.ReadAllLines("/proc/self/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal))[3..];

    private static string Cgroup2Root() => Cgroup2Mount.Find() ?? throw new InvalidOperationException("no cgroup v2 mount");

    [KernelFact]
    public void Json_lines_on_loopback_parse_and_carry_the_sockets_netns_and_cgroup()
    {
        uint hostNetns = NetnsInode("/proc/self/ns/net");
        string own = OwnCgroup();
        ulong ownId = CgroupId(Cgroup2Root() + (own == "/" ? "" : own));
        foreach (string attach in AttachModes)
        {
            using TracerRun run = TracerRun.StartHeaderless(Environment(attach), "-j", "-t", "-T");
            int port = Traffic.OneConnection(IPAddress.Loopback, Hold);
            WaitFor(run, port, 12, attach);
            Assert.Equal(0, run.Stop());

            List<JsonElement> all = Objects(run);   // every line, not only ours, is one JSON object
            Assert.NotEmpty(all);
            List<JsonElement> rows = ForPort(run, port);
            Assert.Equal(12, rows.Count);
            Assert.Equal(2, rows.Count(o => Transition(o) is "CLOSE->LISTEN" or "LISTEN->CLOSE"));
            Assert.Contains(rows, o => Transition(o) == "CLOSE->SYN_SENT" && o.GetProperty("pid").GetInt32() == System.Environment.ProcessId);
            foreach (JsonElement o in rows)
            {
                Assert.Equal(["ts_ns", "time", "ts", "skaddr", "pid", "comm", "family", "laddr", "lport", "raddr", "rport",
                    "oldstate", "newstate", "ms", "netns", "cgroup_id", "cgroup"], o.EnumerateObject().Select(p => p.Name));
                Assert.Equal(4, o.GetProperty("family").GetInt32());
                Assert.Equal("127.0.0.1", o.GetProperty("laddr").GetString());
                Assert.Matches("^[0-9a-f]+$", o.GetProperty("skaddr").GetString());
                Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$", o.GetProperty("time").GetString());
                Assert.True(o.GetProperty("ts_ns").GetUInt64() > 0);
                Assert.True(o.GetProperty("ms").GetDouble() >= 0);
                // The socket's own namespace and cgroup, also for changes run in softirq on another task.
                Assert.Equal(hostNetns, o.GetProperty("netns").GetUInt32());
                Assert.Equal(ownId, o.GetProperty("cgroup_id").GetUInt64());
                Assert.Equal(own, o.GetProperty("cgroup").GetString());
            }
            // Each socket's changes are in order on the kernel's clock.
            foreach (IGrouping<string?, JsonElement> socket in rows.GroupBy(o => o.GetProperty("skaddr").GetString()))
            {
                ulong[] stamps = socket.Select(o => o.GetProperty("ts_ns").GetUInt64()).ToArray();
                Assert.Equal(stamps.Order(), stamps);
            }
        }
    }

    [KernelFact]
    public void Containers_columns_in_csv_show_netns_and_cgroup()
    {
        uint hostNetns = NetnsInode("/proc/self/ns/net");
        string own = OwnCgroup();
        foreach (string attach in AttachModes)
        {
            using TracerRun run = TracerRun.Start(Environment(attach), "-s", "-C");
            int port = Traffic.OneConnection(IPAddress.Loopback, Hold);
            string portText = port.ToString(CultureInfo.InvariantCulture);
            Func<string, bool> ours = l => l.Split(',') is { Length: >= 13 } f && (f[5] == portText || f[7] == portText);
            run.WaitForLines(lines => lines.Count(ours) >= 12, Wait, $"12 rows for port {port} ({attach})");
            Assert.Equal(0, run.Stop());

            Assert.Equal("SKADDR,C-PID,C-COMM,IP,LADDR,LPORT,RADDR,RPORT,OLDSTATE,NEWSTATE,MS,netns,cgroup", run.Lines[0]);
            foreach (string line in run.Lines.Where(ours))
            {
                string[] fields = line.Split(',');
                Assert.Equal(13, fields.Length);
                Assert.Equal(hostNetns.ToString(CultureInfo.InvariantCulture), fields[11]);
                Assert.Equal(own, fields[12]);
            }
        }
    }

    [KernelFact]
    public void Netns_filter_keeps_only_the_sockets_in_that_namespace()
    {
        using var ns = new NetworkNamespace();
        string path = $"/run/netns/{ns.Name}";
        uint inode = NetnsInode(path);
        Assert.NotEqual(NetnsInode("/proc/self/ns/net"), inode);
        foreach (string attach in AttachModes)
        {
            // By path for one attach mode, by inode for the other.
            string netns = attach == "tp_btf" ? path : inode.ToString(CultureInfo.InvariantCulture);
            using TracerRun run = TracerRun.StartHeaderless(Environment(attach), "-j", "--netns", netns);

            // Out of the namespace: loopback on the host. Then inside it, on its own loopback. Then across the veth:
            // a listener inside, its client on the host.
            int host = Traffic.OneConnection(IPAddress.Loopback, Hold);
            int inside = ns.Inside(() => Traffic.OneConnection(IPAddress.Loopback, Hold));
            using Socket listener = ns.Inside(() => Traffic.Listen(ns.InsideV4));
            int across = Traffic.PortOf(listener);
            Traffic.Connection(listener, new IPEndPoint(ns.InsideV4, across), Hold);
            listener.Close();

            WaitFor(run, inside, 12, attach);
            WaitFor(run, across, 7, attach);
            Assert.Equal(0, run.Stop());

            List<JsonElement> all = Objects(run);
            Assert.All(all, o => Assert.Equal(inode, o.GetProperty("netns").GetUInt32()));
            Assert.Empty(ForPort(run, host));
            Assert.Equal(12, ForPort(run, inside).Count);
            // Across: the listener and the accepted socket are inside; the client on the host is filtered out.
            List<JsonElement> acrossRows = ForPort(run, across);
            Assert.Equal(7, acrossRows.Count);
            Assert.All(acrossRows, o => Assert.Equal(across, o.GetProperty("lport").GetInt32()));
            Assert.DoesNotContain(acrossRows, o => Transition(o) == "CLOSE->SYN_SENT");
        }
    }

    [KernelFact]
    public void Cgroup_filter_keeps_only_the_sockets_of_that_cgroup_and_below()
    {
        string root = Cgroup2Root();
        string name = $"tcpst-test-{System.Environment.ProcessId}";
        string parent = Path.Combine(root, name), child = Path.Combine(parent, "child"), sibling = parent + "-other";
        Directory.CreateDirectory(child);
        Directory.CreateDirectory(sibling);
        try
        {
            ulong childId = CgroupId(child);
            foreach (string attach in AttachModes)
            {
                using TracerRun run = TracerRun.StartHeaderless(Environment(attach), "-j", "--cgroup", parent);

                // A client in the sibling cgroup first (filtered out), then one in the child (kept); the listener
                // and the accepted sockets are this process's cgroup (filtered out).
                // Each listener stays open until both connections are made: a port freed could come back for the second.
                using Socket outsideListener = Traffic.Listen(IPAddress.Loopback), belowListener = Traffic.Listen(IPAddress.Loopback);
                int outside = ConnectFrom(sibling, outsideListener);
                int below = ConnectFrom(child, belowListener);
                WaitFor(run, below, 5, attach);
                Assert.Equal(0, run.Stop());

                List<JsonElement> all = Objects(run);
                Assert.All(all, o => Assert.Equal(childId, o.GetProperty("cgroup_id").GetUInt64()));
                Assert.Empty(ForPort(run, outside));
                List<JsonElement> rows = ForPort(run, below);
                Assert.Equal(["CLOSE->SYN_SENT", "SYN_SENT->ESTABLISHED", "ESTABLISHED->FIN_WAIT1", "FIN_WAIT1->FIN_WAIT2", "FIN_WAIT2->CLOSE"],
                    rows.Select(Transition));
                Assert.All(rows, o => Assert.Equal($"/{name}/child", o.GetProperty("cgroup").GetString()));
                Assert.All(rows, o => Assert.Equal(below, o.GetProperty("rport").GetInt32()));
            }
        }
        finally
        {
            foreach (string dir in new[] { child, parent, sibling })
            {
                try { Directory.Delete(dir); } catch (IOException) { }
            }
        }
    }

    [KernelFact]
    public void With_journal_each_entry_message_is_the_json_line()
    {
        JournalEndToEndTests.EnsureJournald();
        using TracerRun run = TracerRun.StartHeaderless(new Dictionary<string, string>(), "-j", "-Y");
        int port = Traffic.OneConnection(IPAddress.Loopback, Hold);
        WaitFor(run, port, 12, "tp_btf");
        Assert.Equal(0, run.Stop());
        string portText = port.ToString(CultureInfo.InvariantCulture);

        List<JsonElement> entries = [];
        for (int attempt = 0; attempt < 50 && entries.Count < 12; attempt++)   // journald writes asynchronously
        {
            if (attempt > 0) Thread.Sleep(100);
            entries = JournalEndToEndTests.Journal().Where(e =>
                e.TryGetProperty("OBJECT_TCP_SOURCE_PORT", out JsonElement s) && s.GetString() == portText ||
                e.TryGetProperty("OBJECT_TCP_DESTINATION_PORT", out JsonElement d) && d.GetString() == portText).ToList();
        }
        Assert.Equal(12, entries.Count);
        HashSet<string> printed = run.Lines.ToHashSet();
        foreach (JsonElement e in entries)
        {
            string message = e.GetProperty("MESSAGE").GetString()!;
            using JsonDocument line = JsonDocument.Parse(message);
            Assert.Equal(e.GetProperty("OBJECT_TCP_OLD_STATE").GetString(), line.RootElement.GetProperty("oldstate").GetString());
            Assert.Equal(e.GetProperty("OBJECT_TCP_NEW_STATE").GetString(), line.RootElement.GetProperty("newstate").GetString());
            Assert.Equal(e.GetProperty("OBJECT_PID").GetString(), line.RootElement.GetProperty("pid").GetInt32().ToString(CultureInfo.InvariantCulture));
            Assert.Contains(message, printed);   // the same line as on stdout
        }
    }

    /// <summary>
    /// A process that moves itself into <paramref name="cgroup"/> and then connects to a listener of ours on loopback
    /// and closes first (a socket's cgroup is that of the task that creates it). Returns the listener's port once
    /// both sides are closed.
    /// </summary>
    private static int ConnectFrom(string cgroup, Socket listener)
    {
        int port = Traffic.PortOf(listener);
        var psi = new ProcessStartInfo("bash")
        {
            ArgumentList =
            {
                "-c",
                $"echo $$ > '{cgroup}/cgroup.procs' && exec 3<>/dev/tcp/127.0.0.1/{port} && exec 3>&-",
            },
            RedirectStandardError = true,
        };
        using Process client = Process.Start(psi)!;
        using Socket server = listener.Accept();
        server.ReceiveTimeout = 5000;
        var buffer = new byte[16];
        while (server.Receive(buffer) > 0) { }   // the client's FIN
        Assert.True(client.WaitForExit(10_000), "the client did not exit");
        Assert.True(client.ExitCode == 0, "the client failed: " + client.StandardError.ReadToEnd());
        server.Close();
        return port;
    }
}
