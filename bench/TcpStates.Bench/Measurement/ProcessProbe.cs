using System.Globalization;
using TcpStates.Bench.Interop;

namespace TcpStates.Bench.Measurement;

/// <summary>What /proc says about a live tracer: its CPU time, peak RSS and BPF programs.</summary>
internal static class ProcessProbe
{
    /// <summary>
    /// User+system CPU of the whole process in nanoseconds, threads that have exited included (its process CPU
    /// clock, as the kernel sums it for wait4's rusage), or 0 when the process is gone. Not a sum over
    /// /proc/PID/task: a thread that ended before a window (a tracer's start-up thread) is missing from that sum at
    /// the start and present in rusage at the end, which would put its CPU in the window.
    /// </summary>
    public static unsafe long CpuNanoseconds(int pid)
    {
        Timespec time;
        if (Native.ClockGetTime(Native.ProcessCpuClock(pid), &time) == 0)
            return time.Seconds * 1_000_000_000L + time.Nanoseconds;
        return LiveThreadsCpuNanoseconds(pid);
    }

    /// <summary>
    /// User+system CPU of the live threads in nanoseconds (first field of each /proc/PID/task/TID/schedstat): where
    /// the process clock cannot be read.
    /// </summary>
    private static long LiveThreadsCpuNanoseconds(int pid)
    {
        long total = 0;
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                string? text = TryRead(Path.Combine(task, "schedstat"));
                if (text is null)
                    continue;
                int space = text.IndexOf(' ', StringComparison.Ordinal);
                total += long.Parse(space < 0 ? text : text[..space], CultureInfo.InvariantCulture);
            }
        }
        catch (DirectoryNotFoundException)
        {
            // The process is gone; the caller falls back to rusage.
        }
        return total;
    }

    /// <summary>VmHWM (peak resident set) in KiB, or 0 when the process is gone.</summary>
    public static long PeakRssKiB(int pid)
    {
        string? status = TryRead($"/proc/{pid}/status");
        if (status is null)
            return 0;
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        return 0;
    }

    /// <summary>
    /// The ids of the BPF programs the process holds, from the fdinfo of its bpf-prog fds and of its
    /// bpf_link fds (a loader may keep only the link), and whether it holds an attachment (a
    /// bpf_link, or a perf event a tracepoint program is attached through).
    /// </summary>
    public static (HashSet<uint> ProgramIds, bool Attached) BpfPrograms(int pid)
    {
        var ids = new HashSet<uint>();
        bool attached = false;
        string[] fds;
        try
        {
            fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd");
        }
        catch (Exception e) when (e is DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return (ids, false);
        }
        foreach (string fd in fds)
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue;
            }
            bool prog = target == "anon_inode:bpf-prog";
            bool link = target == "anon_inode:bpf_link";
            attached |= link || target == "anon_inode:[perf_event]";
            if (!prog && !link)
                continue;
            string? info = TryRead($"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}");
            uint? id = FieldOf(info, "prog_id");
            if (id is uint value)
                ids.Add(value);
        }
        return (ids, attached);
    }

    /// <summary>
    /// True when no thread of the process is running or runnable ('R'): on a loaded machine a
    /// process starved of CPU also burns none, so CPU time alone cannot tell idle from waiting.
    /// </summary>
    public static bool AllThreadsSleeping(int pid)
    {
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                string stat = TryRead(Path.Combine(task, "stat")) ?? "";
                int close = stat.LastIndexOf(')');
                if (close > 0 && close + 2 < stat.Length && stat[close + 2] == 'R')
                    return false;
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Gone counts as idle.
        }
        return true;
    }

    /// <summary>
    /// Context switches of all live threads (voluntary + nonvoluntary in /proc/PID/task/TID/status):
    /// each time a thread was switched out, so for a tracer that sleeps between batches, its wakeups.
    /// </summary>
    public static long ContextSwitches(int pid)
    {
        long total = 0;
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                foreach (string line in (TryRead(Path.Combine(task, "status")) ?? "").Split('\n'))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                        total += long.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Gone: what was counted so far.
        }
        return total;
    }

    /// <summary>Where a stuck process is: state and kernel wait channel of each thread, for the failure message.</summary>
    public static string Describe(int pid)
    {
        var threads = new List<string>();
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                string stat = TryRead(Path.Combine(task, "stat")) ?? "";
                int close = stat.LastIndexOf(')');
                string state = close > 0 && close + 2 < stat.Length ? stat[(close + 2)..(close + 3)] : "?";
                threads.Add($"{Path.GetFileName(task)} {state} {TryRead(Path.Combine(task, "wchan")) ?? "?"}");
            }
        }
        catch (DirectoryNotFoundException)
        {
            return "gone";
        }
        return string.Join(", ", threads);
    }

    internal static uint? FieldOf(string? fdinfo, string name)
    {
        if (fdinfo is null)
            return null;
        foreach (string line in fdinfo.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] == ':')
                return uint.Parse(line[(name.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
        }
        return null;
    }

    internal static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
