using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>
/// Without what it needs, the tool says in one line what is missing and exits 1: no stack trace, no
/// header, nothing on stdout. Capabilities are dropped with setpriv (util-linux) for the one process.
/// </summary>
[Collection("tracer")]
public sealed class PrivilegeFaultTests
{
    private static void AssertOneLineFailure((int Code, string Stdout, string Stderr) result, params string[] mentions)
    {
        Assert.True(result.Code == 1, $"exit {result.Code}; stderr: {result.Stderr}");
        Assert.Equal("", result.Stdout);
        string line = Assert.Single(ToolScript.Lines(result.Stderr));
        Assert.StartsWith("tcpstates: ", line, StringComparison.Ordinal);
        foreach (string m in mentions) Assert.Contains(m, line, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Not_root_and_no_capabilities()
    {
        using var leftovers = ToolLeftovers.Watch(requireObjects: false);
        AssertOneLineFailure(ToolScript.Run("exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \"$BIN\""),
            "EPERM", "CAP_BPF");
    }

    [KernelFact]
    public void Root_without_CAP_BPF_CAP_PERFMON_and_CAP_SYS_ADMIN()
    {
        using var leftovers = ToolLeftovers.Watch(requireObjects: false);
        AssertOneLineFailure(ToolScript.Run(
            "exec setpriv --inh-caps=-bpf,-perfmon,-sys_admin --bounding-set=-bpf,-perfmon,-sys_admin \"$BIN\""),
            "EPERM", "CAP_BPF");
    }

    [KernelFact]
    public void CAP_BPF_without_CAP_PERFMON()
    {
        using var leftovers = ToolLeftovers.Watch(requireObjects: false);
        // Maps may be made, tracing programs not: the line must name what is missing.
        AssertOneLineFailure(ToolScript.Run(
            "exec setpriv --inh-caps=-perfmon,-sys_admin --bounding-set=-perfmon,-sys_admin \"$BIN\""),
            "CAP_PERFMON");
    }

    [KernelFact]
    public void Classic_tracepoint_without_tracefs_and_without_CAP_SYS_ADMIN_to_mount_it()
    {
        using var leftovers = ToolLeftovers.Watch(requireObjects: false);
        AssertOneLineFailure(ToolScript.RunWithoutTracefs(
            "TCPSTATES_ATTACH=tracepoint exec setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \"$BIN\""),
            "tracefs", "EPERM", "CAP_SYS_ADMIN");
    }

    [KernelFact]
    public void Tp_btf_without_tracefs_and_without_CAP_SYS_ADMIN_traces_and_says_what_it_cannot_count()
    {
        using var leftovers = ToolLeftovers.Watch();
        // tp_btf itself needs no tracefs; only the count of the tracepoint's hits does: one line, and on.
        (int code, string stdout, string stderr) = ToolScript.RunWithoutTracefs("""
            out=$(mktemp)
            setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin "$BIN" > "$out" & pid=$!
            for i in $(seq 300); do [ -s "$out" ] && break; sleep 0.1; done
            tool_seen; kill -TERM $pid; wait $pid; rc=$?; cat "$out"; rm -f "$out"; exit $rc
            """);
        Assert.True(code == 0, $"exit {code}; stderr: {stderr}");
        Assert.StartsWith("SKADDR", stdout, StringComparison.Ordinal);
        string line = Assert.Single(ToolScript.Lines(stderr), l => !System.Text.RegularExpressions.Regex.IsMatch(l, @"^lost \d+ events$"));
        Assert.StartsWith("tcpstates: no count of the tracepoint's hits", line, StringComparison.Ordinal);
        Assert.Contains("CAP_SYS_ADMIN", line, StringComparison.Ordinal);
    }
}
