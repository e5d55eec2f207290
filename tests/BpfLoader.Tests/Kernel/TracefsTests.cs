using System.Runtime.InteropServices;
using BpfLoader.Errors;
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

    [Fact]
    public void Finds_tracefs_mount_points_in_mountinfo()
    {
        const string mountInfo =
            "22 28 0:21 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n" +
            "30 22 0:12 / /sys/kernel/tracing rw,relatime shared:13 - tracefs tracefs rw\n" +
            "31 22 0:7 / /sys/kernel/debug rw master:1 - debugfs debugfs rw\n" +
            "40 28 0:44 / /mnt/my\\040traces rw - tracefs nodev rw\n" +
            "41 28 0:45 / /mnt/tracefs rw - tmpfs tracefs rw\n";
        Assert.Equal(["/sys/kernel/tracing", "/mnt/my traces"], Tracefs.FromMountInfo(mountInfo));
        Assert.Empty(Tracefs.FromMountInfo("22 28 0:21 / /sys rw - sysfs sysfs rw\n"));
    }

    [Fact]
    public void Tracepoint_names_cannot_walk_out_of_events()
    {
        Assert.Throws<ArgumentException>(() => Tracefs.GetTracepointId("..", "id"));
        Assert.Throws<ArgumentException>(() => Tracefs.GetTracepointId("sock", "a/b"));
    }

    /// <summary>
    /// The mount path, for real but out of everyone's way: a thread of our own gets a private mount
    /// namespace without any tracefs; the id must be read, and tracefs gone again afterwards.
    /// </summary>
    [KernelFact]
    public void Mounts_tracefs_only_for_the_read_and_unmounts_it()
    {
        (ulong id, ulong expected, string mountsAfter) = InMountNamespaceWithoutTracefs(() =>
        {
            ulong id = Tracefs.GetTracepointId("sock", "inet_sock_set_state");
            return (id, ReadIdFromOwnMount(), File.ReadAllText("/proc/thread-self/mountinfo"));
        });
        Assert.Equal(expected, id);
        Assert.Empty(Tracefs.FromMountInfo(mountsAfter));
    }

    /// <summary>Something else mounted at /sys/kernel/tracing, with an events/ tree, is not tracefs.</summary>
    [KernelFact]
    public void A_file_system_that_is_not_tracefs_is_not_taken_for_it()
    {
        (ulong id, ulong expected, string? found) = InMountNamespaceWithoutTracefs(() =>
        {
            Check(Mount("none", Tracefs.MountPoint, "tmpfs", 0, 0), "mount tmpfs");
            string dir = Path.Combine(Tracefs.MountPoint, "events/sock/inet_sock_set_state");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "id"), "999999\n");
            string? found = Tracefs.Find();
            return (Tracefs.GetTracepointId("sock", "inet_sock_set_state"), ReadIdFromOwnMount(), found);
        });
        Assert.Null(found);
        Assert.Equal(expected, id);
    }

    /// <summary>The tracepoint's id as a tracefs mounted by the test itself, at a directory of its own, shows it.</summary>
    private static ulong ReadIdFromOwnMount()
    {
        string dir = Directory.CreateTempSubdirectory("tracefs-test").FullName;
        Check(Mount("nodev", dir, "tracefs", 0, 0), "mount tracefs");
        try
        {
            return ulong.Parse(File.ReadAllText(Path.Combine(dir, "events/sock/inet_sock_set_state/id")), System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            Check(Umount2(dir, MntDetach), "umount own tracefs");
            Directory.Delete(dir);
        }
    }

    /// <summary>Runs <paramref name="action"/> on a thread of its own in a private mount namespace with every tracefs and debugfs unmounted.</summary>
    private static T InMountNamespaceWithoutTracefs<T>(Func<T> action)
    {
        T result = default!;
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
                Assert.Empty(Tracefs.FromMountInfo(File.ReadAllText("/proc/thread-self/mountinfo")));
                result = action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new Xunit.Sdk.XunitException("in the mount namespace: " + failure);
        return result;
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
