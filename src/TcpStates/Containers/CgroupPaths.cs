using System.Diagnostics;
using System.Text;
using BpfLoader.Errors;
using BpfLoader.Interop;

namespace TcpStates.Containers;

/// <summary>
/// Cgroup v2 ids to paths, cached. An id not cached yet is opened by its file handle (on cgroup2 the handle is
/// the id) and the path read back: exact and cheap, but it needs CAP_DAC_READ_SEARCH. Without it, one walk of
/// the mount maps every id (on cgroup2 a directory's inode is its cgroup's id), at most once per
/// <see cref="MinRescanInterval"/>. An id that is known to be gone (ids are never reused) is remembered as such.
/// Hits allocate nothing; both tables are bounded.
/// </summary>
public sealed class CgroupPaths
{
    /// <summary>Walks the mount at most this often, however many unknown ids arrive.</summary>
    public static readonly TimeSpan MinRescanInterval = TimeSpan.FromMilliseconds(200);
    /// <summary>Paths and gone ids remembered; a table starts over when full.</summary>
    private const int MaxCached = 65536, MaxGone = 4096;

    private readonly string? _root;
    private readonly TimeProvider _clock;
    private Dictionary<ulong, CgroupPath> _paths = new();
    private readonly HashSet<ulong> _gone = new();
    private long _lastWalk;
    private bool _walked;
    private bool _handlesRefused;

    /// <param name="cgroup2Root">The cgroup2 mount point; null: no cgroup v2, every id is unresolved.</param>
    /// <param name="clock">Paces the walks.</param>
    public CgroupPaths(string? cgroup2Root, TimeProvider? clock = null)
    {
        _root = cgroup2Root is null ? null : cgroup2Root.Length > 1 ? cgroup2Root.TrimEnd('/') : cgroup2Root;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The paths of the host's cgroup2 mount, found in /proc/self/mountinfo.</summary>
    public static CgroupPaths ForHost() => new(Cgroup2Mount.Find());

    /// <summary>False: never open cgroups by file handle, only walk (as without CAP_DAC_READ_SEARCH; for tests).</summary>
    internal bool UseFileHandles { init => _handlesRefused = !value; }

    /// <summary>Walks of the mount so far (for tests).</summary>
    public int Walks { get; private set; }

    /// <summary>The cgroup's path relative to the cgroup2 root ("/" for the root), or null when it cannot be found.</summary>
    public CgroupPath? Find(ulong id)
    {
        if (_paths.TryGetValue(id, out CgroupPath? path))
            return path;
        if (_root is null || id == 0 || _gone.Contains(id))
            return null;
        if (!_handlesRefused)
        {
            string? directory = FileSystemCalls.FindCgroupDirectory(_root, id, out int errno);
            if (directory is not null && directory.StartsWith(_root, StringComparison.Ordinal))
            {
                path = new CgroupPath(directory.Length == _root.Length ? "/" : directory[_root.Length..]);
                if (_paths.Count >= MaxCached)
                    _paths.Clear();
                _paths[id] = path;
                return path;
            }
            if (errno is FileSystemCalls.ESTALE or Errno.ENOENT)
            {
                Forget(id);
                return null;
            }
            // EPERM (no CAP_DAC_READ_SEARCH) or a kernel without kernfs handles: walk instead, from now on.
            _handlesRefused = true;
        }
        long now = _clock.GetTimestamp();
        if (_walked && _clock.GetElapsedTime(_lastWalk, now) < MinRescanInterval)
            return null;
        Walk(now);
        if (_paths.TryGetValue(id, out path))
            return path;
        Forget(id);
        return null;
    }

    /// <summary>Caches a path without looking it up (tests, which have no cgroup to show).</summary>
    internal void Remember(ulong id, string path) => _paths[id] = new CgroupPath(path);

    private void Forget(ulong id)
    {
        if (_gone.Count >= MaxGone)
            _gone.Clear();
        _gone.Add(id);
    }

    private void Walk(long now)
    {
        Debug.Assert(_root is not null);
        var paths = new Dictionary<ulong, CgroupPath>(_paths.Count + 16);
        Add(paths, _root, "/");
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = 0,   // not even "hidden" (dot) directories
            ReturnSpecialDirectories = false,
        };
        try
        {
            foreach (string directory in Directory.EnumerateDirectories(_root, "*", options))
                Add(paths, directory, directory[_root.Length..]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cgroup removed mid-walk: what was found stands.
        }
        _paths = paths;
        _lastWalk = now;
        _walked = true;
        Walks++;
    }

    private static void Add(Dictionary<ulong, CgroupPath> paths, string directory, string relative)
    {
        if (FileSystemCalls.TryGetInode(directory, out ulong id, out _))
            paths[id] = new CgroupPath(relative);
    }
}

/// <summary>A cgroup's path relative to the cgroup2 root, with the forms the formatters write, made once.</summary>
public sealed class CgroupPath
{
    /// <summary>The longest CGROUP column in text and CSV output: longer paths are cut (JSON has them whole).</summary>
    public const int MaxColumnLength = 400;

    public CgroupPath(string path)
    {
        Path = path;
        Utf8 = Encoding.UTF8.GetBytes(path);
        byte[] escaped = new byte[Utf8.Length * 4];
        int length = Output.CommandName.WriteEscaped(Utf8, escaped);
        Column = escaped.AsSpan(0, Output.CommandName.PrefixLength(escaped.AsSpan(0, length), MaxColumnLength)).ToArray();
    }

    /// <summary>"/system.slice/nginx.service".</summary>
    public string Path { get; }

    /// <summary>The path as UTF-8 (valid: it comes from a .NET string).</summary>
    public byte[] Utf8 { get; }

    /// <summary>The path for text columns: control characters escaped as command names are, cut to <see cref="MaxColumnLength"/> characters.</summary>
    public byte[] Column { get; }
}
