using System.Runtime.InteropServices;
using BpfLoader.Interop;
using BpfLoader.Kernel;

namespace BpfLoader.Tests.Kernel;

public partial class TracefsTests
{
    [Fact]
    public void Finds_tracefs_mount_points_in_proc_mounts()
    {
        const string mounts =
            "sysfs /sys sysfs rw,nosuid 0 0\n" +
            "tracefs /sys/kernel/tracing tracefs rw,relatime 0 0\n" +
            "debugfs /sys/kernel/debug debugfs rw 0 0\n" +
            "nodev /mnt/my\\040traces tracefs rw 0 0\n";
        Assert.Equal(["/sys/kernel/tracing", "/mnt/my traces"], Tracefs.FromProcMounts(mounts));
        Assert.Empty(Tracefs.FromProcMounts("sysfs /sys sysfs rw 0 0\n"));
    }

    [KernelFact]
    public void Tracepoint_id_is_read_from_tracefs()
    {
        ulong id = Tracefs.GetTracepointId("sock", "inet_sock_set_state");
        string text = File.ReadAllText(Path.Combine(Tracefs.Root, "events/sock/inet_sock_set_state/id"));
        Assert.Equal(ulong.Parse(text, System.Globalization.CultureInfo.InvariantCulture), id);
    }

    [Fact]
    public void Tracepoint_names_cannot_walk_out_of_events()
    {
        Assert.Throws<ArgumentException>(() => Tracefs.GetTracepointId("..", "id"));
        Assert.Throws<ArgumentException>(() => Tracefs.GetTracepointId("sock", "a/b"));
    }

    /// <summary>
    /// The mount path, for real but out of everyone's way: a thread of our own gets a private mount
    /// namespace, unmounts every tracefs there, and must find tracefs mounted again afterwards.
    /// </summary>
    [KernelFact]
    public void Mounts_tracefs_when_none_is_mounted()
    {
        string? found = null, mounted = null;
        ulong idInNamespace = 0;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Check(Unshare(CloneNewNs), "unshare(CLONE_NEWNS)");
                Check(Mount(null, "/", null, MsRec | MsPrivate, 0), "mount --make-rprivate /");
                foreach (string point in Tracefs.FromProcMounts(File.ReadAllText("/proc/thread-self/mounts")).Reverse())
                    Check(Umount2(point, MntDetach), $"umount {point}");
                // debugfs brings tracefs back on its own (an automount at debug/tracing): away with it too.
                foreach (string point in File.ReadAllLines("/proc/thread-self/mounts")
                             .Select(l => l.Split(' '))
                             .Where(f => f.Length > 2 && f[2] == "debugfs")
                             .Select(f => f[1]).Reverse())
                    Check(Umount2(point, MntDetach), $"umount {point}");
                found = Tracefs.Find();
                mounted = Tracefs.FindOrMount();
                idInNamespace = ulong.Parse(File.ReadAllText(Path.Combine(mounted, "events/sock/inet_sock_set_state/id")), System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();

        Assert.Null(failure);
        Assert.Null(found);
        Assert.Equal(Tracefs.MountPoint, mounted);
        Assert.Equal(Tracefs.GetTracepointId("sock", "inet_sock_set_state"), idInNamespace);
    }

    private const int CloneNewNs = 0x00020000;
    private const ulong MsRec = 0x4000, MsPrivate = 1 << 18;
    private const int MntDetach = 2;

    private static void Check(int result, string what)
    {
        if (result != 0)
            throw new InvalidOperationException($"{what}: {Errno.Name(Marshal.GetLastPInvokeError())}");
    }

    [LibraryImport("libc", EntryPoint = "unshare", SetLastError = true)]
    private static partial int Unshare(int flags);

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string? source, string target, string? fsType, ulong flags, nint data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);
}
