using System.Globalization;
using BpfLoader.Errors;
using BpfLoader.Interop;
using BpfLoader.Object;

namespace BpfLoader.Kernel;

/// <summary>
/// Reads tracepoint ids from tracefs, where classic tracepoints publish them. A fresh machine often has
/// tracefs unmounted, and users expect a tracing tool to cope: then tracefs is mounted for the read and
/// unmounted right after it, so the tool leaves the mount table as it found it.
/// </summary>
public static class Tracefs
{
    /// <summary>Where tracefs is mounted on current systems.</summary>
    public const string MountPoint = "/sys/kernel/tracing";
    /// <summary>tracefs under debugfs, where older systems reach it.</summary>
    public const string DebugfsPath = "/sys/kernel/debug/tracing";

    /// <summary>
    /// A mounted tracefs according to the mount table (<see cref="MountPoint"/> first), null if none.
    /// The mount table, not a look at the directory: a directory check depends on permissions, is fooled
    /// by any file system mounted there, and under debugfs makes the kernel mount tracefs by itself.
    /// </summary>
    public static string? Find()
    {
        // thread-self: the mounts this thread sees (a thread may have its own mount namespace).
        string path = File.Exists("/proc/thread-self/mountinfo") ? "/proc/thread-self/mountinfo" : "/proc/self/mountinfo";
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
        List<string> points = FromMountInfo(text).ToList();
        return points.Contains(MountPoint) ? MountPoint : points.FirstOrDefault();
    }

    /// <summary>The mount points of tracefs in a /proc/PID/mountinfo text (octal escapes such as \040 decoded).</summary>
    public static IEnumerable<string> FromMountInfo(string mountInfo)
    {
        ArgumentNullException.ThrowIfNull(mountInfo);
        foreach (string line in mountInfo.Split('\n'))
        {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            string[] fields = line.Split(' ');
            int separator = fields.Length > 6 ? Array.IndexOf(fields, "-", 6) : -1;
            if (separator > 0 && separator + 1 < fields.Length && fields[separator + 1] == "tracefs")
                yield return Unescape(fields[4]);
        }
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

    /// <summary>
    /// The id of tracepoint category:name (events/CAT/NAME/id), for perf_event_open's config. Where no
    /// tracefs is mounted, one is mounted at <see cref="MountPoint"/> for the read and unmounted after it.
    /// </summary>
    public static ulong GetTracepointId(string category, string name)
    {
        CheckComponent(category, nameof(category));
        CheckComponent(name, nameof(name));
        string? root = Find();
        if (root is not null)
            return ReadId(root, category, name);
        bool mounted = Mount();
        try
        {
            return ReadId(MountPoint, category, name);
        }
        finally
        {
            // Lazily: a reader of ours still holding a file there must not keep the mount alive.
            if (mounted) Libc.Umount2(MountPoint, MntDetach);
        }
    }

    private const int MntDetach = 2;

    private static ulong ReadId(string root, string category, string name)
    {
        string path = Path.Combine(root, "events", category, name, "id");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BpfException($"tracepoint {category}:{name} not found in tracefs: this kernel has no such tracepoint ({path} does not exist)", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BpfException($"tracepoint {category}:{name}: {path} may not be read (EACCES); run as root", e);
        }
        return ulong.TryParse(text.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong id)
            ? id
            : throw new BpfException($"tracepoint {category}:{name}: {path} holds '{text.Trim()}', not an id");
    }

    /// <summary>Mounts tracefs at <see cref="MountPoint"/>; false when someone else mounted it meanwhile.</summary>
    private static bool Mount()
    {
        if (Libc.Mount("nodev", MountPoint, "tracefs", 0, 0) == 0)
            return true;
        int errno = Libc.Errno;
        // EBUSY: someone mounted it between our look and our mount.
        if (errno == Errno.EBUSY && Find() == MountPoint)
            return false;
        throw new BpfException(
            $"tracefs is not mounted and mounting it at {MountPoint} failed: {Errno.Name(errno)} ({Errno.Describe(errno)}); " +
            $"mount it with 'mount -t tracefs nodev {MountPoint}' (needs CAP_SYS_ADMIN)");
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
