using System.Globalization;
using BpfLoader.Interop;

namespace BpfLoader.Kernel;

/// <summary>
/// Finds tracefs (where classic tracepoints publish their ids), mounting it when no one has: a fresh
/// machine often has it unmounted, and users expect a tracing tool to cope.
/// </summary>
public static class Tracefs
{
    public const string MountPoint = "/sys/kernel/tracing";
    public const string DebugfsPath = "/sys/kernel/debug/tracing";

    private static readonly Lock s_lock = new();
    private static string? s_root;

    /// <summary>The tracefs directory, found or mounted on first use.</summary>
    public static string Root
    {
        get
        {
            lock (s_lock)
            {
                return s_root ??= FindOrMount();
            }
        }
    }

    /// <summary>Uncached: finds a mounted tracefs, or mounts one at <see cref="MountPoint"/>.</summary>
    internal static string FindOrMount() => Find() ?? Mount();

    /// <summary>A mounted tracefs: the usual places first, then any tracefs in /proc/mounts; null if none.</summary>
    public static string? Find()
    {
        foreach (string candidate in new[] { MountPoint, DebugfsPath })
        {
            if (IsMounted(candidate))
                return candidate;
        }
        // thread-self: the mounts this thread sees (a thread may have its own mount namespace).
        string mounts = File.Exists("/proc/thread-self/mounts") ? "/proc/thread-self/mounts" : "/proc/mounts";
        return FromProcMounts(File.Exists(mounts) ? File.ReadAllText(mounts) : string.Empty).FirstOrDefault(IsMounted);
    }

    /// <summary>The mount points of tracefs in a /proc/mounts text (octal escapes such as \040 decoded).</summary>
    public static IEnumerable<string> FromProcMounts(string procMounts)
    {
        ArgumentNullException.ThrowIfNull(procMounts);
        foreach (string line in procMounts.Split('\n'))
        {
            string[] fields = line.Split(' ');
            if (fields.Length >= 3 && fields[2] == "tracefs")
                yield return Unescape(fields[1]);
        }
    }

    /// <summary>The id of tracepoint category:name (events/CAT/NAME/id), for perf_event_open's config.</summary>
    public static ulong GetTracepointId(string category, string name)
    {
        CheckComponent(category, nameof(category));
        CheckComponent(name, nameof(name));
        string root = Root;
        string path = Path.Combine(root, "events", category, name, "id");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BpfException($"tracepoint {category}:{name} not found in tracefs ({path} does not exist; see {root}/available_events)", e);
        }
        return ulong.TryParse(text.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong id)
            ? id
            : throw new BpfException($"tracepoint {category}:{name}: {path} holds '{text.Trim()}', not an id");
    }

    private static bool IsMounted(string path) => Directory.Exists(Path.Combine(path, "events"));

    private static string Mount()
    {
        if (Libc.Mount("nodev", MountPoint, "tracefs", 0, 0) != 0)
        {
            int errno = Libc.Errno;
            // EBUSY: someone mounted it between our look and our mount.
            if (errno == Errno.EBUSY && IsMounted(MountPoint))
                return MountPoint;
            throw new BpfException(
                $"tracefs is not mounted and mounting it at {MountPoint} failed: {Errno.Name(errno)} ({Errno.Describe(errno)}); " +
                $"mount it with 'mount -t tracefs nodev {MountPoint}' (needs CAP_SYS_ADMIN)");
        }
        return MountPoint;
    }

    private static void CheckComponent(string value, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, parameter);
        if (value.Contains('/', StringComparison.Ordinal) || value is "." or "..")
            throw new ArgumentException($"'{value}' is not a tracepoint category or name", parameter);
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
            return field;
        var sb = new System.Text.StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int start)
    {
        for (int i = start; i < start + 3; i++)
        {
            if (i >= s.Length || s[i] is < '0' or > '7')
                return false;
        }
        return true;
    }
}
