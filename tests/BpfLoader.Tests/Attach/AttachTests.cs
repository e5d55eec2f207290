using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BpfLoader.Errors;
using BpfLoader.Links;
using BpfLoader.Object;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;
using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Attach;

/// <summary>
/// Every attach type, for real, on this kernel: interfaces in network namespaces the tests create,
/// cgroups the tests create, sockets and perf events of the test process. Each asserts counts of its
/// own program's runs only (other BPF users on the host do not reach them).
/// </summary>
public sealed partial class AttachTests
{
    [KernelFact]
    public void An_object_with_an_unknown_section_loads_its_other_programs_and_reports_that_one()
    {
        using Collection objects = Collection.Load(AttachObjects.Spec());

        Assert.Equal("no_such_hook/at_all", Assert.Single(objects.SkippedPrograms).Value);
        Assert.Equal("unknown_hook", objects.SkippedPrograms.Keys.Single());
        Assert.Contains("count_xdp", objects.Programs.Keys);
        Assert.Contains("dump_map_ids", objects.Programs.Keys);
        Assert.DoesNotContain("unknown_hook", objects.Programs.Keys);
        var e = Assert.Throws<BpfException>(() => objects.Attach("unknown_hook"));
        Assert.Contains("no_such_hook/at_all", e.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Asking_for_a_program_of_an_unknown_section_by_name_is_an_error_naming_the_section()
    {
        var e = Assert.Throws<BpfObjectException>(() => AttachObjects.Load("unknown_hook"));
        Assert.Contains("no_such_hook/at_all", e.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Xdp_on_a_veth_counts_the_packets_it_receives()
    {
        using Collection objects = AttachObjects.Load("count_xdp");
        using var net = new VethNamespaces();
        using XdpLink link = net.InA(() => XdpLink.Attach(objects.Programs["count_xdp"], VethNamespaces.InterfaceA));
        Assert.Equal(0UL, AttachObjects.Hits(objects, AttachObjects.Xdp));

        net.SendFromB(3);

        Assert.True(AttachObjects.Hits(objects, AttachObjects.Xdp) >= 3, $"XDP saw {AttachObjects.Hits(objects, AttachObjects.Xdp)} packets");
        Assert.Equal(6u, link.GetInfo().Type);   // BPF_LINK_TYPE_XDP
    }

    [KernelFact]
    public void Xdp_by_section_alone_says_which_link_attaches_it()
    {
        using Collection objects = AttachObjects.Load("count_xdp");
        var e = Assert.Throws<BpfException>(() => objects.Attach("count_xdp"));
        Assert.Contains("XdpLink.Attach", e.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Tcx_ingress_on_a_veth_counts_the_packets_it_receives()
    {
        using Collection objects = AttachObjects.Load("count_tcx");
        Assert.Equal(BpfAttachType.TcxIngress, objects.Programs["count_tcx"].ExpectedAttachType);
        using var net = new VethNamespaces();
        using TcxLink link = net.InA(() => TcxLink.Attach(objects.Programs["count_tcx"], VethNamespaces.InterfaceA, TcxDirection.Ingress));

        net.SendFromB(3);

        Assert.True(AttachObjects.Hits(objects, AttachObjects.Tcx) >= 3, $"tcx saw {AttachObjects.Hits(objects, AttachObjects.Tcx)} packets");
    }

    [KernelFact]
    public void Tcx_egress_on_a_veth_counts_the_packets_it_sends()
    {
        using Collection objects = AttachObjects.Load("count_tcx");
        using var net = new VethNamespaces();
        using TcxLink link = net.InA(() => TcxLink.Attach(objects.Programs["count_tcx"], VethNamespaces.InterfaceA, TcxDirection.Egress));
        Assert.Equal(0UL, AttachObjects.Hits(objects, AttachObjects.Tcx));

        net.SendFromB(3);   // A answers: ARP replies, and ICMP port unreachable for the closed port

        Assert.True(AttachObjects.Hits(objects, AttachObjects.Tcx) >= 1);
    }

    [KernelFact]
    public void Generic_xdp_on_a_veth_counts_the_packets_it_receives()
    {
        using Collection objects = AttachObjects.Load("count_xdp");
        using var net = new VethNamespaces();
        using XdpLink link = net.InA(() => XdpLink.Attach(objects.Programs["count_xdp"], VethNamespaces.InterfaceA, XdpMode.Generic));

        net.SendFromB(3);

        Assert.True(AttachObjects.Hits(objects, AttachObjects.Xdp) >= 3);
    }

    [KernelFact]
    public void An_interface_that_does_not_exist_is_a_typed_error_naming_it()
    {
        using Collection objects = AttachObjects.Load("count_xdp");
        var e = Assert.Throws<BpfSyscallException>(() => XdpLink.Attach(objects.Programs["count_xdp"], "no-such-if0"));
        Assert.Equal("if_nametoindex", e.Operation);
        Assert.Contains("no-such-if0", e.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public void A_socket_filter_sees_exactly_the_datagrams_of_its_socket_until_detached()
    {
        using Collection objects = AttachObjects.Load("count_socket");
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var buffer = new byte[64];

        SocketFilter.Attach(receiver, objects.Programs["count_socket"]);
        for (int i = 0; i < 3; i++)
        {
            sender.SendTo("ping"u8.ToArray(), receiver.LocalEndPoint!);
            Assert.Equal(4, receiver.Receive(buffer));   // the filter keeps whole packets
        }
        Assert.Equal(3UL, AttachObjects.Hits(objects, AttachObjects.Socket));

        SocketFilter.Detach(receiver);
        sender.SendTo("ping"u8.ToArray(), receiver.LocalEndPoint!);
        Assert.Equal(4, receiver.Receive(buffer));
        Assert.Equal(3UL, AttachObjects.Hits(objects, AttachObjects.Socket));
    }

    [KernelFact]
    public void Cgroup_skb_egress_counts_the_packets_sent_from_its_cgroup()
    {
        using Collection objects = AttachObjects.Load("count_egress");
        using var cgroup = new TestCgroup();
        using CgroupLink link = CgroupLink.Attach(objects.Programs["count_egress"], cgroup.Path);
        Assert.Equal(0UL, AttachObjects.Hits(objects, AttachObjects.CgroupSkb));

        cgroup.Run("echo hello > /dev/udp/127.0.0.1/9");

        Assert.True(AttachObjects.Hits(objects, AttachObjects.CgroupSkb) >= 1);
        Assert.Equal(3u, link.GetInfo().Type);   // BPF_LINK_TYPE_CGROUP
    }

    [KernelFact]
    public void Cgroup_connect4_and_sockops_see_a_connection_made_from_their_cgroup()
    {
        using Collection objects = AttachObjects.Load("count_connect4", "count_sockops");
        using var cgroup = new TestCgroup();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using CgroupLink connect = CgroupLink.Attach(objects.Programs["count_connect4"], cgroup.Path);
        using CgroupLink sockops = CgroupLink.Attach(objects.Programs["count_sockops"], cgroup.Path);

        cgroup.Run($"exec 3<>/dev/tcp/127.0.0.1/{port}");

        Assert.Equal(1UL, AttachObjects.Hits(objects, AttachObjects.Connect4));
        Assert.True(AttachObjects.Hits(objects, AttachObjects.SockOps) >= 1);
    }

    [KernelFact]
    public void A_cgroup_that_does_not_exist_is_a_typed_error()
    {
        using Collection objects = AttachObjects.Load("count_egress");
        var e = Assert.Throws<BpfSyscallException>(() => CgroupLink.Attach(objects.Programs["count_egress"], "/sys/fs/cgroup/no-such-cgroup-here"));
        Assert.Equal("ENOENT", e.ErrnoName);
    }

    [KernelTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_perf_event_program_runs_on_samples_of_the_calling_threads_clock(bool perfLink)
    {
        using Collection objects = AttachObjects.Load("count_perf_event");
        bool? linked = null;
        var thread = new Thread(() =>
        {
            using PerfEventLink link = PerfEventLink.AttachSoftware(objects.Programs["count_perf_event"], PerfSoftwareCounter.TaskClock,
                samplePeriod: 100_000, pid: 0, cpu: -1, usePerfLink: perfLink);
            linked = link.IsPerfLink;
            // Run until sampled; bounded so that a broken attach fails instead of hanging.
            var bound = System.Diagnostics.Stopwatch.StartNew();
            while (AttachObjects.Hits(objects, AttachObjects.PerfEvent) == 0 && bound.Elapsed < TimeSpan.FromSeconds(60))
                Thread.SpinWait(1000);
        });
        thread.Start();
        thread.Join();
        Assert.Equal(perfLink, linked);
        Assert.True(AttachObjects.Hits(objects, AttachObjects.PerfEvent) > 0);
    }

    [KernelFact]
    public void A_uprobe_on_libc_getpid_counts_this_process_calls()
    {
        using Collection objects = AttachObjects.Load("count_uprobe");
        string libc = LibcPath();
        ulong offset = UprobeTarget.FileOffset(libc, "getpid");
        using PerfEventLink link = PerfEventLink.AttachUprobe(objects.Programs["count_uprobe"], libc, offset, pid: Environment.ProcessId);

        for (int i = 0; i < 5; i++) GetPid();

        Assert.True(AttachObjects.Hits(objects, AttachObjects.Uprobe) >= 5, $"uprobe counted {AttachObjects.Hits(objects, AttachObjects.Uprobe)}");
    }

    [KernelFact]
    public void A_uretprobe_on_libc_getpid_counts_its_returns()
    {
        using Collection objects = AttachObjects.Load("count_uprobe");
        string libc = LibcPath();
        using PerfEventLink link = PerfEventLink.AttachUprobe(objects.Programs["count_uprobe"], libc,
            UprobeTarget.FileOffset(libc, "getpid"), isReturn: true, pid: Environment.ProcessId);

        for (int i = 0; i < 5; i++) GetPid();

        Assert.True(AttachObjects.Hits(objects, AttachObjects.Uprobe) >= 5);
    }

    [KernelFact]
    public void A_uretprobe_section_naming_a_library_and_function_attaches_by_itself()
    {
        using Collection objects = AttachObjects.Load("count_uretprobe_by_section");
        const string link = "/tmp/bpfloader-attach-libc.so";   // the path the section names
        string libc = LibcPath();
        if (!File.Exists(link) || File.ResolveLinkTarget(link, returnFinalTarget: true)?.FullName != Path.GetFullPath(libc))
        {
            File.Delete(link);
            File.CreateSymbolicLink(link, libc);
        }
        using BpfLink probe = objects.Attach("count_uretprobe_by_section");
        Assert.Contains("uretprobe /tmp/bpfloader-attach-libc.so:0x", probe.Target, StringComparison.Ordinal);

        for (int i = 0; i < 5; i++) GetPid();

        // In every process (the section names no pid): at least this one's calls.
        Assert.True(AttachObjects.Hits(objects, AttachObjects.UprobeBySection) >= 5);
    }

    [KernelFact]
    public void A_kprobe_attaches_through_the_kprobe_pmu_or_says_the_kernel_has_none()
    {
        using Collection objects = AttachObjects.Load("count_kprobe");
        BpfProgram program = objects.Programs["count_kprobe"];
        string function = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "__arm64_sys_getpid" : "__x64_sys_getpid";
        if (!Directory.Exists("/sys/bus/event_source/devices/kprobe"))
        {
            // This kernel (CONFIG_KPROBES off): a typed error naming what is missing; the real probe runs on the kernel matrix.
            var e = Assert.Throws<BpfSyscallException>(() => PerfEventLink.AttachKprobe(program, function));
            Assert.Equal("ENOENT", e.ErrnoName);
            Assert.Contains("no kprobe PMU", e.Message, StringComparison.Ordinal);
            var bySection = Assert.Throws<BpfSyscallException>(() => objects.Attach("count_kprobe"));
            Assert.Contains("do_nothing_here", bySection.Message, StringComparison.Ordinal);
            return;
        }
        using PerfEventLink link = PerfEventLink.AttachKprobe(program, function);
        for (int i = 0; i < 5; i++) GetPid();
        Assert.True(AttachObjects.Hits(objects, AttachObjects.Kprobe) >= 5);
    }

    [KernelFact]
    public void An_iterator_over_maps_lists_the_id_of_our_own_map()
    {
        using Collection objects = AttachObjects.Load("dump_map_ids");
        uint ourMap = objects.Maps["hits"].GetId();
        using BpfLink link = objects.Attach("dump_map_ids");
        var iterator = Assert.IsType<IterLink>(link);

        using var output = new MemoryStream();
        using (Stream s = iterator.Open())
            s.CopyTo(output);

        byte[] bytes = output.ToArray();
        Assert.Equal(0, bytes.Length % 4);
        var ids = Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToUInt32(bytes, i * 4)).ToList();
        Assert.Contains(ourMap, ids);
        Assert.Equal((ulong)ids.Count, AttachObjects.Hits(objects, AttachObjects.Iter));
        Assert.Equal(4u, link.GetInfo().Type);   // BPF_LINK_TYPE_ITER
    }

    private static string LibcPath() =>
        File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length >= 6 && Path.GetFileName(p[5]).StartsWith("libc.so", StringComparison.Ordinal))
            .Select(p => p[5]).First();

    [LibraryImport("libc", EntryPoint = "getpid")]
    private static partial int GetPid();
}
