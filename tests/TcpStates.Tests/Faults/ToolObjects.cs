using System.Globalization;
using System.Runtime.InteropServices;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>
/// The BPF programs, maps and links one run of the tool holds, by id (from its /proc fdinfo), and
/// whether they still exist: other tracers run on this machine at the same time, so only what the
/// tool itself created is checked, never the kernel's totals.
/// </summary>
internal sealed partial class ToolObjects
{
    public List<uint> Programs { get; } = new();
    public List<uint> Maps { get; } = new();
    public List<uint> Links { get; } = new();

    public int Count => Programs.Count + Maps.Count + Links.Count;

    /// <summary>What process <paramref name="pid"/> holds now.</summary>
    public static ToolObjects Of(int pid)
    {
        var text = new System.Text.StringBuilder();
        foreach (string info in Directory.EnumerateFiles($"/proc/{pid}/fdinfo"))
        {
            try { text.Append(File.ReadAllText(info)).Append('\n'); }
            catch (IOException) { }   // closed meanwhile
        }
        return Parse(text.ToString());
    }

    /// <summary>The ids in fdinfo text (prog_id:, map_id:, link_id: lines), as a script may collect them.</summary>
    public static ToolObjects Parse(string fdinfo)
    {
        var objects = new ToolObjects();
        foreach (string line in fdinfo.Split('\n'))
        {
            string[] kv = line.Split(':', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !uint.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out uint id)) continue;
            switch (kv[0])
            {
                case "prog_id": objects.Programs.Add(id); break;
                case "map_id": objects.Maps.Add(id); break;
                case "link_id": objects.Links.Add(id); break;
            }
        }
        return objects;
    }

    /// <summary>The one running copy of the published tool that this test process started.</summary>
    public static int ChildToolPid()
    {
        string tool = Path.GetFullPath(PublishedTool.Path);
        var found = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                string[] afterComm = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(afterComm[1], CultureInfo.InvariantCulture) != Environment.ProcessId) continue;
                if (new FileInfo(Path.Combine(dir, "exe")).LinkTarget == tool) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        }
        return Assert.Single(found);
    }

    /// <summary>Waits (bounded) until none of these objects exists any more; fails naming what is left.</summary>
    /// <param name="requireSeen">Fail too when no program or map was seen (the tool was expected to load).</param>
    public void AssertAllGone(bool requireSeen = true)
    {
        Assert.True(!requireSeen || (Programs.Count > 0 && Maps.Count > 0), "no BPF objects were seen while the tool ran");
        List<string> left = new();
        for (int attempt = 0; attempt < 100; attempt++)
        {
            left = Programs.Where(id => Exists(ProgGetFdById, id)).Select(id => $"prog {id}")
                .Concat(Maps.Where(id => Exists(MapGetFdById, id)).Select(id => $"map {id}"))
                .Concat(Links.Where(id => Exists(LinkGetFdById, id)).Select(id => $"link {id}"))
                .ToList();
            if (left.Count == 0) return;
            Thread.Sleep(50);   // the kernel frees an object once its last reference goes, not always at once
        }
        Assert.Fail("left in the kernel after the tool ended: " + string.Join(", ", left));
    }

    private const int ProgGetFdById = 13, MapGetFdById = 14, LinkGetFdById = 30;
    private const int Enoent = 2;

    /// <summary>BPF_*_GET_FD_BY_ID: ENOENT when the id is gone.</summary>
    private static unsafe bool Exists(int command, uint id)
    {
        uint* attr = stackalloc uint[4];
        attr[0] = id;
        attr[1] = attr[2] = attr[3] = 0;
        long fd = Syscall(BpfSyscallNumber, command, (nint)attr, 16);
        if (fd >= 0)
        {
            Close((int)fd);
            return true;
        }
        int errno = Marshal.GetLastPInvokeError();
        return errno == Enoent ? false : throw new InvalidOperationException($"bpf({command}) by id {id}: errno {errno}");
    }

    private static readonly long BpfSyscallNumber = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 280 : 321;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long command, nint attr, long size);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
