using System.Diagnostics;
using System.Globalization;
using TcpStates.Bench.Measurement;

namespace TcpStates.Bench.Report;

/// <summary>The facts printed above the table, so a result can be compared with the machine it came from.</summary>
internal static class MachineFacts
{
    public static IEnumerable<(string Name, string Value)> Collect(string? anchorPath)
    {
        yield return ("kernel", Read("/proc/sys/kernel/osrelease"));
        yield return ("cores", Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        string cpu = Read("/proc/cpuinfo").Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        yield return ("cpu", cpu);
        yield return ("load average", string.Join(' ', Read("/proc/loadavg").Split(' ').Take(3)));
        yield return ("net.ipv4.tcp_tw_reuse", Read("/proc/sys/net/ipv4/tcp_tw_reuse"));
        if (anchorPath is not null)
            yield return ("anchor version", Version(anchorPath));
        yield return ("tracers running", OtherTracers());
        var (newPage, cachedPage) = PageCacheCost.Measure(Path.GetTempPath());
        yield return ("file write per 4 KiB", string.Create(CultureInfo.InvariantCulture,
            $"{newPage:0.00} µs to a new page, {cachedPage:0.00} µs to a cached one{(newPage > 4 * cachedPage ? " (new pages are dear: compare the file and cached sinks)" : "")}"));
    }

    /// <summary>
    /// A tcpstates left running elsewhere attaches a second program to the same tracepoint and slows every column,
    /// "none" included; so does any other process holding an attached BPF program (a forgotten `TcpStates.Bench limit`,
    /// a bpftrace), which also makes every tracer's start cheaper (the tracepoint is live already): name them all.
    /// </summary>
    private static string OtherTracers()
    {
        var found = new List<string>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == Environment.ProcessId)
                continue;
            string comm = Read(Path.Combine(dir, "comm"));
            (HashSet<uint> programs, bool attached) = ProcessProbe.BpfPrograms(pid);
            if (comm == "tcpstates" || (programs.Count > 0 && attached))
                found.Add($"{pid} ({comm})");
        }
        return found.Count == 0 ? "none (good)" : $"WARNING, distorts all columns: {string.Join(", ", found)}";
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string Version(string path)
    {
        try
        {
            var info = new ProcessStartInfo(path, "-V") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(info)!;
            string text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            return text.Trim().Split('\n')[0];
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?";
        }
    }
}
