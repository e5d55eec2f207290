using System.Globalization;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>
/// Watches, for one test, every copy of the published tool that this test process starts (directly, or deep in
/// a script, in another mount namespace, under another uid), collecting the BPF objects each holds from its
/// fdinfo while it runs; on dispose, checks that none of them is left in the kernel and that no tracefs mount
/// appeared in this mount namespace. One line at the top of a test: <c>using var _ = ToolLeftovers.Watch();</c>.
/// Only the tool's own objects are checked (by id): other tracers run on this machine at the same time.
/// </summary>
internal sealed class ToolLeftovers : IDisposable
{
    private readonly bool _requireObjects;
    private readonly HashSet<string> _tracefsBefore = TracefsMounts();
    private readonly ToolObjects _seen = new();
    private readonly HashSet<int> _tools = new();
    private readonly Thread _watcher;
    private readonly Thread _owner = Thread.CurrentThread;
    private volatile bool _stop;
    private volatile bool _testFailed;

    private ToolLeftovers(bool requireObjects)
    {
        _requireObjects = requireObjects;
        AppDomain.CurrentDomain.FirstChanceException += OnException;
        _watcher = new Thread(Watch) { IsBackground = true, Name = "tool leftovers" };
        _watcher.Start();
    }

    /// <summary>
    /// Starts watching. <paramref name="requireObjects"/>: the tool is expected to load (a run that traces);
    /// false where it may fail before it holds anything, or hold it too briefly to be seen (missing privileges).
    /// </summary>
    public static ToolLeftovers Watch(bool requireObjects = true) => new(requireObjects);

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
                        _tools.Add(pid);
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

    /// <summary>Mount ids of the tracefs mounts in this process's mount namespace.</summary>
    private static HashSet<string> TracefsMounts() =>
        File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(" - tracefs ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[0]).ToHashSet();

    public void Dispose()
    {
        _stop = true;
        _watcher.Join();
        AppDomain.CurrentDomain.FirstChanceException -= OnException;
        if (_testFailed) return;
        lock (_seen)
        {
            Assert.True(!_requireObjects || _tools.Count > 0, "no copy of the tool was seen running");
            _seen.AssertAllGone(requireSeen: _requireObjects);
        }
        // A host with no tracefs mounted: the tool mounts one for a moment, in whatever namespace it runs in.
        HashSet<string> added = TracefsMounts();
        added.ExceptWith(_tracefsBefore);
        Assert.True(added.Count == 0, "tracefs mounts left behind (mount ids): " + string.Join(", ", added));
    }
}
