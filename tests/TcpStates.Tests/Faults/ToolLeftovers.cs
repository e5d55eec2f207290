using System.Diagnostics;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>
/// Watches, for one test, every copy of the published tool that this test process starts (directly, or deep in
/// a script, in another mount namespace, under another uid), collecting the BPF objects each holds from its
/// fdinfo while it runs; on dispose, checks that none of them is left in the kernel and that no tracefs mount
/// appeared in any mount namespace it ran in (a script's private one too). One line at the top of a test: <c>using var _ = ToolLeftovers.Watch();</c>.
/// Only the tool's own objects are checked (by id): other tracers run on this machine at the same time.
/// </summary>
internal sealed class ToolLeftovers : IDisposable
{
    private readonly bool _requireObjects;
    /// <summary>Each mount namespace a copy ran in: held open (so it outlives a script's), and its tracefs mounts then.</summary>
    private readonly Dictionary<string, (SafeFileHandle Namespace, HashSet<string> Tracefs)> _namespaces = new();
    private readonly ToolObjects _seen = new();
    private readonly HashSet<int> _tools = new();
    private readonly Thread _watcher;
    private readonly Thread _owner = Thread.CurrentThread;
    private volatile bool _stop;
    private volatile bool _testFailed;
    /// <summary>The watch of the running test (tests that watch run one at a time, in the "tracer" collection).</summary>
    private static volatile ToolLeftovers? s_active;

    private ToolLeftovers(bool requireObjects)
    {
        _requireObjects = requireObjects;
        s_active = this;
        AppDomain.CurrentDomain.FirstChanceException += OnException;
        _watcher = new Thread(Watch) { IsBackground = true, Name = "tool leftovers" };
        _watcher.Start();
    }

    /// <summary>
    /// Starts watching. <paramref name="requireObjects"/>: the tool is expected to load (a run that traces);
    /// false where it may fail before it holds anything, or hold it too briefly to be seen (missing privileges).
    /// </summary>
    public static ToolLeftovers Watch(bool requireObjects = true) => new(requireObjects);

    /// <summary>
    /// Whether the running test's watch has seen the tool's programs and maps (true when no test watches, or
    /// its tool is not expected to load). A test stops the tool only then: a tool stopped right after its
    /// header may otherwise come and go between two looks at /proc on a busy machine, and its objects
    /// would go unchecked.
    /// </summary>
    public static bool ObjectsSeen
    {
        get
        {
            ToolLeftovers? active = s_active;
            if (active is null || !active._requireObjects) return true;
            lock (active._seen) return active._seen.Programs.Count > 0 && active._seen.Maps.Count > 0;
        }
    }

    /// <summary>Waits (bounded) until <see cref="ObjectsSeen"/>; the check at dispose says what was missed.</summary>
    public static void WaitForObjects()
    {
        for (DateTime until = DateTime.UtcNow.AddSeconds(10); !ObjectsSeen && DateTime.UtcNow < until;)
            Thread.Sleep(10);
    }

    /// <summary>A failed assertion of the test itself: then the test's own failure is the one to report.</summary>
    private void OnException(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
    {
        if (Thread.CurrentThread == _owner && e.Exception is Xunit.Sdk.XunitException) _testFailed = true;
    }

    private void Watch()
    {
        string tool = Path.GetFullPath(PublishedTool.Path);
        int self = Environment.ProcessId;
        while (!_stop)
        {
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
                try
                {
                    if (new FileInfo(Path.Combine(dir, "exe")).LinkTarget != tool || !DescendsFrom(pid, self)) continue;
                    ToolObjects now = ToolObjects.Of(pid);
                    lock (_seen)
                    {
                        if (!_tools.Contains(pid))
                        {
                            NoteNamespace(pid);
                            _tools.Add(pid);
                        }
                        Union(_seen.Programs, now.Programs);
                        Union(_seen.Maps, now.Maps);
                        Union(_seen.Links, now.Links);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }   // gone meanwhile
            }
            Thread.Sleep(10);
        }
    }

    private static void Union(List<uint> into, List<uint> from)
    {
        foreach (uint id in from)
            if (!into.Contains(id)) into.Add(id);
    }

    private static bool DescendsFrom(int pid, int ancestor)
    {
        for (int depth = 0; depth < 64 && pid > 1; depth++)
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            pid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
            if (pid == ancestor) return true;
        }
        return false;
    }

    /// <summary>
    /// The tool's mount namespace and its tracefs mounts when the tool is first seen (most likely before the tool
    /// mounts one for a moment itself; if not, the check is only weaker, never wrong).
    /// </summary>
    private void NoteNamespace(int pid)
    {
        string ns = new FileInfo($"/proc/{pid}/ns/mnt").LinkTarget ?? throw new IOException("no mount namespace");
        if (_namespaces.ContainsKey(ns)) return;
        SafeFileHandle handle = File.OpenHandle($"/proc/{pid}/ns/mnt");
        _namespaces[ns] = (handle, TracefsMounts(File.ReadAllText($"/proc/{pid}/mountinfo")));
    }

    /// <summary>Mount ids of the tracefs mounts in mountinfo text.</summary>
    private static HashSet<string> TracefsMounts(string mountinfo) =>
        mountinfo.Split('\n').Where(l => l.Contains(" - tracefs ", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ToHashSet();

    /// <summary>The mountinfo of the namespace behind <paramref name="handle"/>, read by a process entered into it.</summary>
    private static string MountinfoOf(SafeFileHandle handle)
    {
        var psi = new ProcessStartInfo("nsenter",
            [$"--mount=/proc/{Environment.ProcessId}/fd/{handle.DangerousGetHandle()}", "cat", "/proc/self/mountinfo"])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "nsenter did not finish");
        Assert.True(p.ExitCode == 0, "nsenter: " + stderr.Result);
        return output;
    }

    public void Dispose()
    {
        _stop = true;
        _watcher.Join();
        s_active = null;
        AppDomain.CurrentDomain.FirstChanceException -= OnException;
        if (_testFailed)
        {
            foreach ((SafeFileHandle handle, _) in _namespaces.Values) handle.Dispose();
            return;
        }
        lock (_seen)
        {
            Assert.True(!_requireObjects || _tools.Count > 0, "no copy of the tool was seen running");
            _seen.AssertAllGone(requireSeen: _requireObjects);
        }
        // Where no tracefs is mounted, the tool mounts one for a moment, in whatever namespace it runs in.
        try
        {
            foreach ((string ns, (SafeFileHandle handle, HashSet<string> before)) in _namespaces)
            {
                HashSet<string> added = TracefsMounts(MountinfoOf(handle));
                added.ExceptWith(before);
                Assert.True(added.Count == 0, $"tracefs mounts left behind in {ns} (mount ids): " + string.Join(", ", added));
            }
        }
        finally
        {
            foreach ((SafeFileHandle handle, _) in _namespaces.Values) handle.Dispose();
        }
    }
}
