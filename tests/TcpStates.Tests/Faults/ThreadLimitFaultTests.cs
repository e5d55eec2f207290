using System.Globalization;
using System.Net;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>
/// In a cgroup whose pids limit leaves the tool only the threads it cannot do without (its own, the runtime's
/// finalizer, the one that waits for signals), it starts and traces all the same: the threads that only speed up the
/// start (the kernel's BTF read beside the object's parse, programs verified side by side) are done without.
/// </summary>
[Collection("tracer")]
public sealed class ThreadLimitFaultTests
{
    /// <summary>The tool's main thread, the runtime's finalizer thread and the stop-signal thread.</summary>
    private const int ThreadsNeeded = 3;

    [KernelFact]
    public void With_no_thread_to_spare_the_tool_starts_and_traces()
    {
        using var leftovers = ToolLeftovers.Watch();
        string pids = PidsController() ?? throw new Xunit.Sdk.XunitException(
            "no pids cgroup controller on this host (neither a cgroup v1 'pids' mount nor cgroup2 with 'pids' in cgroup.controllers)");
        string cgroup = Path.Combine(pids, "tcpstates-test-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        DirectoryInfo work = Directory.CreateTempSubdirectory("tcpstates-pids.");
        Directory.CreateDirectory(cgroup);
        try
        {
            File.WriteAllText(Path.Combine(cgroup, "pids.max"), ThreadsNeeded.ToString(CultureInfo.InvariantCulture));
            string ready = Path.Combine(work.FullName, "ready"), portFile = Path.Combine(work.FullName, "port");
            int port = 0;
            (int code, string stdout, string stderr) = ToolScript.Run(
                """
                ( echo $BASHPID > "$CGROUP/cgroup.procs" && exec "$BIN" -s ) > "$WORK/out" & pid=$!
                for i in $(seq 300); do [ -s "$WORK/out" ] && break; sleep 0.1; done
                touch "$WORK/ready"
                for i in $(seq 300); do [ -s "$WORK/port" ] && [ $(grep -c ",$(cat "$WORK/port")," "$WORK/out") -ge 12 ] && break; sleep 0.1; done
                threads=$(cat "$CGROUP/pids.current")
                tool_seen; kill -INT $pid; wait $pid; rc=$?; cat "$WORK/out"; echo "threads $threads" >&2; exit $rc
                """,
                () =>
                {
                    if (port != 0 || !File.Exists(ready)) return;
                    port = Traffic.OneConnection(IPAddress.Loopback, TimeSpan.Zero);
                    File.WriteAllText(portFile, port.ToString(CultureInfo.InvariantCulture));
                },
                environment: new Dictionary<string, string> { ["CGROUP"] = cgroup, ["WORK"] = work.FullName });
            Assert.True(code == 0, $"exit {code}; stderr: {stderr}");
            Assert.StartsWith("SKADDR,", stdout, StringComparison.Ordinal);
            Assert.NotEqual(0, port);
            string p = "," + port.ToString(CultureInfo.InvariantCulture) + ",";
            // The connection's 10 changes and its listener's 2 (CLOSE -> LISTEN, LISTEN -> CLOSE).
            Assert.Equal(12, ToolScript.Lines(stdout).Count(l => l.Contains(p, StringComparison.Ordinal)));
            // The limit was reached: the tool ran with exactly the threads it cannot do without.
            Assert.Equal($"threads {ThreadsNeeded}", Assert.Single(ToolScript.Lines(stderr), l => l.StartsWith("threads ", StringComparison.Ordinal)));
            Assert.DoesNotContain("Exception", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(cgroup);
            work.Delete(recursive: true);
        }
    }

    /// <summary>Where new pids cgroups are made: the cgroup v1 controller's mount, or the cgroup2 mount when it has the controller.</summary>
    private static string? PidsController()
    {
        foreach (string line in File.ReadAllLines("/proc/self/mountinfo"))
        {
            string[] f = line.Split(' ');
            int dash = Array.IndexOf(f, "-");
            if (dash < 0 || dash + 3 >= f.Length) continue;
            string mountPoint = f[4], type = f[dash + 1], options = f[dash + 3];
            if (type == "cgroup" && options.Split(',').Contains("pids"))
                return mountPoint;
            if (type == "cgroup2" && File.Exists(Path.Combine(mountPoint, "cgroup.controllers"))
                && File.ReadAllText(Path.Combine(mountPoint, "cgroup.subtree_control")).Split(' ', '\n').Contains("pids"))
                return mountPoint;
        }
        return null;
    }
}
