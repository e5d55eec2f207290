using TcpStates.Containers;
using TcpStates.Tests.Cli;

namespace TcpStates.Tests.Output;

public class CgroupPathsTests
{
    [Fact]
    public void Mountinfo_gives_the_cgroup2_mount_at_its_root()
    {
        string[] lines =
        [
            "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
            "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd",
            "50 23 0:38 /sub /mnt/elsewhere rw,relatime shared:9 - cgroup2 cgroup2 rw",
            "41 31 0:38 / /sys/fs/cgroup/uni\\040fied rw,relatime shared:10 - cgroup2 cgroup2 rw",
        ];
        Assert.Equal("/sys/fs/cgroup/uni fied", Cgroup2Mount.Parse(lines));
        Assert.Null(Cgroup2Mount.Parse(lines[..2]));
    }

    [Fact]
    public void The_own_cgroup_resolves_to_its_path_from_proc_self_cgroup()
    {
        string root = Cgroup2Mount.Find() ?? throw new InvalidOperationException("no cgroup v2 mount");
        string own = File.ReadAllLines("/proc/self/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal))[3..];
        ulong id = ContainerOptionsTests.Inode(root + (own == "/" ? "" : own));
        var paths = new CgroupPaths(root);

        CgroupPath? path = paths.Find(id);

        Assert.NotNull(path);
        Assert.Equal(own, path.Path);
        Assert.Same(path, paths.Find(id));
        Assert.Equal("/", paths.Find(ContainerOptionsTests.Inode(root))!.Path);
    }

    [Fact]
    public void An_unknown_id_is_null_and_no_cgroup2_means_null()
    {
        string root = Cgroup2Mount.Find() ?? throw new InvalidOperationException("no cgroup v2 mount");
        var paths = new CgroupPaths(root);
        Assert.Null(paths.Find(ulong.MaxValue - 1));
        Assert.Null(paths.Find(ulong.MaxValue - 1));
        Assert.Null(paths.Find(0));
        Assert.Null(new CgroupPaths(null).Find(1));
    }
}

public class CgroupPathsWalkTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Ticks;
    }

    [Fact]
    public void Without_file_handles_a_walk_of_the_mount_finds_the_path_and_unknown_ids_walk_at_most_once_per_interval()
    {
        string root = Cgroup2Mount.Find() ?? throw new InvalidOperationException("no cgroup v2 mount");
        string own = File.ReadAllLines("/proc/self/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal))[3..];
        ulong id = ContainerOptionsTests.Inode(root + (own == "/" ? "" : own));
        var clock = new ManualClock { Ticks = 1 };
        var paths = new CgroupPaths(root, clock) { UseFileHandles = false };

        Assert.Equal(own, paths.Find(id)!.Path);
        Assert.Equal(1, paths.Walks);
        Assert.Equal(own, paths.Find(id)!.Path);   // cached: no walk
        Assert.Equal(1, paths.Walks);

        // Unknown ids inside the interval do not walk again; after it, one walk, then the id is known to be gone.
        Assert.Null(paths.Find(ulong.MaxValue - 3));
        Assert.Null(paths.Find(ulong.MaxValue - 4));
        Assert.Equal(1, paths.Walks);
        clock.Ticks += CgroupPaths.MinRescanInterval.Ticks;
        Assert.Null(paths.Find(ulong.MaxValue - 3));
        Assert.Equal(2, paths.Walks);
        clock.Ticks += CgroupPaths.MinRescanInterval.Ticks;
        Assert.Null(paths.Find(ulong.MaxValue - 3));
        Assert.Equal(2, paths.Walks);
    }

    [TcpStates.Tests.EndToEnd.KernelFact]   // makes a cgroup: root
    public void A_cgroup_made_after_the_first_lookup_is_found_by_handle_and_by_a_later_walk()
    {
        string root = Cgroup2Mount.Find() ?? throw new InvalidOperationException("no cgroup v2 mount");
        string name = $"tcpst-paths-{Environment.ProcessId}";
        var byHandle = new CgroupPaths(root);
        var clock = new ManualClock { Ticks = 1 };
        var byWalk = new CgroupPaths(root, clock) { UseFileHandles = false };
        Assert.Equal("/", byWalk.Find(ContainerOptionsTests.Inode(root))!.Path);
        Directory.CreateDirectory(Path.Combine(root, name, "x y\u00e9"));
        try
        {
            ulong id = ContainerOptionsTests.Inode(Path.Combine(root, name, "x y\u00e9"));
            Assert.Equal($"/{name}/x y\u00e9", byHandle.Find(id)!.Path);
            clock.Ticks += CgroupPaths.MinRescanInterval.Ticks;
            Assert.Equal($"/{name}/x y\u00e9", byWalk.Find(id)!.Path);
        }
        finally
        {
            Directory.Delete(Path.Combine(root, name, "x y\u00e9"));
            Directory.Delete(Path.Combine(root, name));
        }
    }
}
