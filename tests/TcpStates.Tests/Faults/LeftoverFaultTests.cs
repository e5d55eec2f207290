using System.Net;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>
/// After every way in and out, nothing of the tool's is left: its programs, links and maps gone from the
/// kernel (checked by the ids it held, as other tracers run here too), and no tracefs mount of its own.
/// </summary>
[Collection("tracer")]
public sealed class LeftoverFaultTests
{
    private static void TraceOnceAndStop(Dictionary<string, string> environment, string expectedAttach)
    {
        ToolObjects objects;
        using (TracerRun run = TracerRun.Start(new Dictionary<string, string>(environment) { ["TCPSTATES_DEBUG"] = "1" }, "-s"))
        {
            objects = ToolObjects.Of(ToolObjects.ChildToolPid());
            Traffic.OneConnection(IPAddress.Loopback, TimeSpan.Zero);
            Assert.Equal(0, run.Stop());
            Assert.Contains("attached: " + expectedAttach, run.Stderr, StringComparison.Ordinal);
        }
        Assert.NotEmpty(objects.Links);
        objects.AssertAllGone();
    }

    [KernelFact]
    public void Tp_btf_with_per_CPU_ring_buffers_leaves_nothing() =>
        TraceOnceAndStop(new(), "tp_btf with per-CPU ring buffers");

    [KernelFact]
    public void Tp_btf_with_one_ring_buffer_leaves_nothing() =>
        TraceOnceAndStop(new() { ["TCPSTATES_TRANSPORT"] = "ring" }, "tp_btf with ring buffer");

    [KernelFact]
    public void Classic_tracepoint_leaves_nothing() =>
        TraceOnceAndStop(new() { ["TCPSTATES_ATTACH"] = "tracepoint" }, "tracepoint with per-CPU ring buffers");

    [KernelFact]
    public void Perf_buffer_leaves_nothing() =>
        TraceOnceAndStop(new() { ["TCPSTATES_ATTACH"] = "tracepoint", ["TCPSTATES_TRANSPORT"] = "perf" }, "tracepoint with perf buffer");

    [KernelFact]
    public void A_closed_stdout_leaves_nothing()
    {
        using var listener = Traffic.Listen(IPAddress.Loopback);
        int port = Traffic.PortOf(listener);
        // The ids are read from the tool's fdinfo while it runs; head then leaves and the tool finds the pipe closed.
        (int code, string stdout, string stderr) = ToolScript.Run("""
            ids=$(mktemp)
            { "$BIN" -s & echo $! > "$ids.pid"; wait; } | {
              read -r header
              pid=$(cat "$ids.pid"); cat /proc/$pid/fdinfo/* > "$ids" 2>/dev/null
              head -n 2 > /dev/null
            }
            cat "$ids"; rm -f "$ids" "$ids.pid"
            """,
            () => Traffic.Connection(listener, new IPEndPoint(IPAddress.Loopback, port), TimeSpan.Zero));
        Assert.True(code == 0, $"exit {code}; stderr: {stderr}");
        ToolObjects objects = ToolObjects.Parse(stdout);
        Assert.NotEmpty(objects.Links);
        objects.AssertAllGone();
    }

    /// <summary>
    /// Where no tracefs is mounted, the tool mounts one only to read the tracepoint's id and unmounts it
    /// right away: none while it traces, none after it (in a private mount namespace: the host's stays).
    /// </summary>
    [KernelFact]
    public void No_tracefs_mount_is_left_behind_on_either_path()
    {
        foreach (string attach in new[] { "", "tracepoint" })
        {
            (int code, string stdout, string stderr) = ToolScript.RunWithoutTracefs($$"""
                out=$(mktemp)
                TCPSTATES_ATTACH={{attach}} "$BIN" > "$out" & pid=$!
                for i in $(seq 300); do [ -s "$out" ] && break; sleep 0.1; done
                echo "while tracing: $(grep -c ' - tracefs ' /proc/self/mountinfo)"
                tool_seen; kill -TERM $pid; wait $pid; rc=$?
                echo "after: $(grep -c ' - tracefs ' /proc/self/mountinfo)"
                head -c 6 "$out"; echo; rm -f "$out"; exit $rc
                """);
            Assert.True(code == 0, $"{attach}: exit {code}; stderr: {stderr}");
            Assert.Equal(["while tracing: 0", "after: 0", "SKADDR"], ToolScript.Lines(stdout));
        }
    }
}
