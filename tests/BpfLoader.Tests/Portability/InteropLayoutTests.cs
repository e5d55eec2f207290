using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using BpfLoader.Errors;
using BpfLoader.Interop;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Tests.Portability;

/// <summary>
/// Every struct and number the loader hands the kernel or libc, checked against the real headers of
/// x86-64 and aarch64 (clang for each target; nothing is run, so both are checked on either host).
/// Field names map to C members by snake_case unless a struct lists its own names.
/// </summary>
public sealed class InteropLayoutTests
{
    private static readonly string[] Includes =
    [
        "stddef.h", "errno.h", "fcntl.h", "unistd.h", "sys/mman.h", "sys/epoll.h", "sys/eventfd.h",
        "sys/syscall.h", "sys/socket.h", "linux/bpf.h", "linux/perf_event.h", "linux/membarrier.h", "linux/if_link.h",
        "linux/capability.h",
    ];

    /// <summary>
    /// A C# struct and the C type it stands for: Members names the C member of a C# field where snake_case
    /// does not; Raw gives offset and size expressions for a field the installed headers may predate.
    /// </summary>
    private sealed record StructMap(Type Type, string CType, string Prefix = "", Dictionary<string, string>? Members = null,
        Dictionary<string, (string Offset, string Size)>? Raw = null)
    {
        public string Member(string field) =>
            Prefix + (Members is not null && Members.TryGetValue(field, out string? c) ? c : SnakeCase(field));

        public string Offset(string field) => Raw is not null && Raw.TryGetValue(field, out var r)
            ? r.Offset : $"offsetof({CType}, {Member(field)})";

        public string Size(string field) => Raw is not null && Raw.TryGetValue(field, out var r)
            ? r.Size : $"sizeof((({CType} *)0)->{Member(field)})";
    }

    // bpf_attr variants: C# sends the fields up to its last one (the kernel zero-extends), padding at most to 8.
    private static readonly StructMap[] AttrStructs =
    [
        new(typeof(MapCreateAttr), "union bpf_attr", Members: new() { ["BpfMapType"] = "map_type" }),
        new(typeof(MapElemAttr), "union bpf_attr"),
        new(typeof(ProgLoadAttr), "union bpf_attr"),
        new(typeof(BtfLoadAttr), "union bpf_attr"),
        new(typeof(ObjGetInfoAttr), "union bpf_attr", "info."),
        new(typeof(ObjectFdAttr), "union bpf_attr", Members: new() { ["Fd"] = "map_fd" }),
        new(typeof(RawTracepointOpenAttr), "union bpf_attr", "raw_tracepoint."),
        new(typeof(LinkCreateAttr), "union bpf_attr", "link_create.", new()
        {
            ["BpfAttachType"] = "attach_type",
            ["TargetBtfId"] = "tracing.target_btf_id",
            ["BpfCookie"] = "perf_event.bpf_cookie",
        }),
        new(typeof(ObjPinAttr), "union bpf_attr", Members: new() { ["Pathname"] = "pathname" }),
        new(typeof(GetFdByIdAttr), "union bpf_attr"),
        new(typeof(EnableStatsAttr), "union bpf_attr", "enable_stats."),
        new(typeof(MapBatchAttr), "union bpf_attr", "batch."),
        new(typeof(ProgTestRunAttr), "union bpf_attr", "test."),
    ];

    // Structs the kernel fills or reads whole: the C# head must match.
    private static readonly StructMap[] InfoStructs =
    [
        new(typeof(ProgInfo), "struct bpf_prog_info"),
        new(typeof(MapInfo), "struct bpf_map_info"),
        new(typeof(LinkInfo), "struct bpf_link_info"),
        // perf_event_attr only grows, and each PERF_ATTR_SIZE_VERn is where the next field starts: config3
        // (Linux 6.3) starts at VER7, which Debian 12's 6.1 headers have while they lack the member itself.
        new(typeof(PerfEventAttr), "struct perf_event_attr", Members: new() { ["ClockId"] = "clockid" },
            Raw: new() { ["Config3"] = ("PERF_ATTR_SIZE_VER7", "sizeof(__u64)") }),
    ];

    [Theory]
    [InlineData(Architecture.X64, "x86_64-linux-gnu")]
    [InlineData(Architecture.Arm64, "aarch64-linux-gnu")]
    public void Every_interop_struct_field_sits_where_the_headers_put_it(Architecture architecture, string triple)
    {
        var checks = new List<(string What, string C, long CSharp)>();
        foreach (StructMap map in AttrStructs.Concat(InfoStructs))
            AddFields(checks, map);

        // The bitfield word of perf_event_attr (disabled, inherit, ..., watermark) follows read_format.
        checks.Add(("PerfEventAttr.Flags offset", "offsetof(struct perf_event_attr, read_format) + 8",
            (long)Marshal.OffsetOf<PerfEventAttr>(nameof(PerfEventAttr.Flags))));

        // epoll_event: the layout this architecture's poller uses, whole (the array stride matters).
        EpollEventLayout epoll = EpollEvents.LayoutFor(architecture);
        checks.Add(("epoll_event size", "sizeof(struct epoll_event)", epoll.Size));
        checks.Add(("epoll_event.data offset", "offsetof(struct epoll_event, data)", epoll.DataOffset));

        CProbe.AssertSameAsHeaders(triple, Includes, checks);

        // Sizes: no field cut off, and nothing past the last field but its padding (or, for the structs the
        // kernel fills, past the headers' whole struct).
        foreach (StructMap map in AttrStructs.Concat(InfoStructs))
        {
            var ends = Fields(map.Type).Select(f => $"{map.Offset(f.Name)} + {map.Size(f.Name)}").ToList();
            long end = CProbe.Evaluate(triple, Includes, ends).Max();
            long limit = (end + 7) / 8 * 8;
            if (InfoStructs.Contains(map))
                limit = Math.Max(limit, CProbe.Evaluate(triple, Includes, [$"sizeof({map.CType})"])[0]);
            int size = Marshal.SizeOf(map.Type);
            Assert.True(size >= end && size <= limit,
                $"{triple}: {map.Type.Name} is {size} bytes, its last field ends at {end}, at most {limit} may be sent");
        }
    }

    [Theory]
    [InlineData(Architecture.X64, "x86_64-linux-gnu")]
    [InlineData(Architecture.Arm64, "aarch64-linux-gnu")]
    public void Every_syscall_number_flag_and_errno_is_the_headers(Architecture architecture, string triple)
    {
        SyscallNumbers numbers = SyscallNumbers.For(architecture);
        var checks = new List<(string What, string C, long CSharp)>
        {
            ("bpf syscall", "__NR_bpf", numbers.Bpf),
            ("perf_event_open syscall", "__NR_perf_event_open", numbers.PerfEventOpen),
            ("membarrier syscall", "__NR_membarrier", numbers.Membarrier),
            ("MEMBARRIER_CMD_GLOBAL", "MEMBARRIER_CMD_GLOBAL", Libc.MembarrierCmdGlobal),
            ("O_CLOEXEC", "O_CLOEXEC", Libc.OCloexec),
            ("O_NONBLOCK", "O_NONBLOCK", Libc.ONonblock),
            ("EFD_CLOEXEC", "EFD_CLOEXEC", Libc.EfdCloexec),
            ("EFD_NONBLOCK", "EFD_NONBLOCK", Libc.EfdNonblock),
            ("EPOLL_CLOEXEC", "EPOLL_CLOEXEC", Libc.EpollCloexec),
            ("EPOLL_CTL_ADD", "EPOLL_CTL_ADD", Libc.EpollCtlAdd),
            ("EPOLL_CTL_DEL", "EPOLL_CTL_DEL", Libc.EpollCtlDel),
            ("EPOLL_CTL_MOD", "EPOLL_CTL_MOD", Libc.EpollCtlMod),
            ("EPOLLIN", "EPOLLIN", Libc.EpollIn),
            ("PROT_READ", "PROT_READ", Libc.ProtRead),
            ("PROT_WRITE", "PROT_WRITE", Libc.ProtWrite),
            ("MAP_SHARED", "MAP_SHARED", Libc.MapShared),
            ("MAP_PRIVATE", "MAP_PRIVATE", Libc.MapPrivate),
            ("_SC_PAGESIZE", "_SC_PAGESIZE", Libc.ScPageSize),
            ("BPF_MAP_TYPE_RINGBUF", "BPF_MAP_TYPE_RINGBUF", Libc.BpfRingbufMapType),
            ("BPF_STATS_RUN_TIME", "BPF_STATS_RUN_TIME", EnableStatsAttr.StatsRunTime),
            ("BPF_OBJ_NAME_LEN", "BPF_OBJ_NAME_LEN", ObjectName.Length),
            ("PERF_ATTR_SIZE_VER8", "PERF_ATTR_SIZE_VER7 + sizeof(__u64)", PerfEventAttr.SizeVer8),   // VER7 + config3
            ("PERF_TYPE_HARDWARE", "PERF_TYPE_HARDWARE", PerfEventAttr.TypeHardware),
            ("PERF_TYPE_SOFTWARE", "PERF_TYPE_SOFTWARE", PerfEventAttr.TypeSoftware),
            ("PERF_TYPE_TRACEPOINT", "PERF_TYPE_TRACEPOINT", PerfEventAttr.TypeTracepoint),
            ("PERF_COUNT_SW_BPF_OUTPUT", "PERF_COUNT_SW_BPF_OUTPUT", (long)PerfEventAttr.SwBpfOutput),
            ("PERF_SAMPLE_RAW", "PERF_SAMPLE_RAW", (long)PerfEventAttr.SampleRaw),
            ("PERF_FLAG_FD_CLOEXEC", "PERF_FLAG_FD_CLOEXEC", PerfEventAttr.PerfFlagFdCloexec),
            ("PERF_EVENT_IOC_ENABLE", "PERF_EVENT_IOC_ENABLE", (long)PerfEventAttr.IocEnable),
            ("PERF_EVENT_IOC_DISABLE", "PERF_EVENT_IOC_DISABLE", (long)PerfEventAttr.IocDisable),
            ("PERF_EVENT_IOC_SET_BPF", "PERF_EVENT_IOC_SET_BPF", (long)PerfEventAttr.IocSetBpf),
            ("BPF_F_MMAPABLE", "BPF_F_MMAPABLE", (long)BpfLoader.Maps.MapFlags.Mmapable),
            ("BPF_F_TEST_RUN_ON_CPU", "BPF_F_TEST_RUN_ON_CPU", ProgTestRunAttr.FlagRunOnCpu),
            ("BPF_MAP_TYPE_QUEUE", "BPF_MAP_TYPE_QUEUE", (long)BpfMapType.Queue),
            ("BPF_MAP_TYPE_STACK", "BPF_MAP_TYPE_STACK", (long)BpfMapType.Stack),
            ("BPF_PROG_TYPE_SYSCALL", "BPF_PROG_TYPE_SYSCALL", (long)BpfProgramType.Syscall),
            ("PERF_COUNT_SW_CPU_CLOCK", "PERF_COUNT_SW_CPU_CLOCK", (long)Links.PerfSoftwareCounter.CpuClock),
            ("PERF_COUNT_SW_TASK_CLOCK", "PERF_COUNT_SW_TASK_CLOCK", (long)Links.PerfSoftwareCounter.TaskClock),
            ("PERF_COUNT_SW_PAGE_FAULTS", "PERF_COUNT_SW_PAGE_FAULTS", (long)Links.PerfSoftwareCounter.PageFaults),
            ("PERF_COUNT_SW_CONTEXT_SWITCHES", "PERF_COUNT_SW_CONTEXT_SWITCHES", (long)Links.PerfSoftwareCounter.ContextSwitches),
            ("PERF_COUNT_SW_CPU_MIGRATIONS", "PERF_COUNT_SW_CPU_MIGRATIONS", (long)Links.PerfSoftwareCounter.CpuMigrations),
            ("SOL_SOCKET", "SOL_SOCKET", Libc.SolSocket),
            ("SO_ATTACH_BPF", "SO_ATTACH_BPF", Libc.SoAttachBpf),
            ("SO_DETACH_BPF", "SO_DETACH_BPF", Libc.SoDetachBpf),
            ("O_RDONLY", "O_RDONLY", Libc.ORdOnly),
            ("F_DUPFD_CLOEXEC", "F_DUPFD_CLOEXEC", Libc.FDupFdCloexec),
            ("XDP_FLAGS_SKB_MODE", "XDP_FLAGS_SKB_MODE", (long)Links.XdpMode.Generic),
            ("XDP_FLAGS_DRV_MODE", "XDP_FLAGS_DRV_MODE", (long)Links.XdpMode.Driver),
            ("XDP_FLAGS_HW_MODE", "XDP_FLAGS_HW_MODE", (long)Links.XdpMode.Offload),
            ("BPF_OBJ_PIN", "BPF_OBJ_PIN", (long)BpfCommand.ObjPin),
            ("BPF_OBJ_GET", "BPF_OBJ_GET", (long)BpfCommand.ObjGet),
            ("BPF_PROG_GET_FD_BY_ID", "BPF_PROG_GET_FD_BY_ID", (long)BpfCommand.ProgGetFdById),
            ("BPF_MAP_GET_FD_BY_ID", "BPF_MAP_GET_FD_BY_ID", (long)BpfCommand.MapGetFdById),
            ("BPF_LINK_GET_FD_BY_ID", "BPF_LINK_GET_FD_BY_ID", (long)BpfCommand.LinkGetFdById),
            ("BPF_ITER_CREATE", "BPF_ITER_CREATE", (long)BpfCommand.IterCreate),
            ("BPF_LINK_CREATE", "BPF_LINK_CREATE", (long)BpfCommand.LinkCreate),
            ("BPF_XDP", "BPF_XDP", (long)BpfAttachType.Xdp),
            ("BPF_TRACE_ITER", "BPF_TRACE_ITER", (long)BpfAttachType.TraceIter),
            ("BPF_PERF_EVENT", "BPF_PERF_EVENT", (long)BpfAttachType.PerfEvent),
            ("BPF_LSM_CGROUP", "BPF_LSM_CGROUP", (long)BpfAttachType.LsmCgroup),
            // Attach types newer than Debian 12's 6.1 headers are checked against the running kernel's BTF (Attach/AttachTypeNumberTests).
            ("BPF_LINK_TYPE_XDP", "BPF_LINK_TYPE_XDP", 6),
            ("BPF_LINK_TYPE_CGROUP", "BPF_LINK_TYPE_CGROUP", 3),
            ("BPF_LINK_TYPE_ITER", "BPF_LINK_TYPE_ITER", 4),
            ("CAP_SYS_ADMIN", "CAP_SYS_ADMIN", BpfLoader.Errors.ThreadCapabilities.CapSysAdmin),
            ("CAP_PERFMON", "CAP_PERFMON", BpfLoader.Errors.ThreadCapabilities.CapPerfmon),
            ("CAP_BPF", "CAP_BPF", BpfLoader.Errors.ThreadCapabilities.CapBpf),
            ("perf_event_mmap_page.data_head", "offsetof(struct perf_event_mmap_page, data_head)", BpfLoader.Rings.PerfRingCursor.DataHeadOffset),
            ("perf_event_mmap_page.data_tail", "offsetof(struct perf_event_mmap_page, data_tail)", BpfLoader.Rings.PerfRingCursor.DataTailOffset),
            ("perf_event_mmap_page.data_offset", "offsetof(struct perf_event_mmap_page, data_offset)", BpfLoader.Rings.PerfRingCursor.DataOffsetOffset),
            ("perf_event_mmap_page.data_size", "offsetof(struct perf_event_mmap_page, data_size)", BpfLoader.Rings.PerfRingCursor.DataSizeOffset),
            ("perf_event_header size", "sizeof(struct perf_event_header)", BpfLoader.Rings.PerfRingCursor.HeaderSize),
            ("PERF_RECORD_LOST", "PERF_RECORD_LOST", BpfLoader.Rings.PerfRingCursor.RecordLost),
            ("PERF_RECORD_SAMPLE", "PERF_RECORD_SAMPLE", BpfLoader.Rings.PerfRingCursor.RecordSample),
        };
        // Every bpf(2) command the loader issues, by its UAPI name.
        foreach (BpfCommand command in Enum.GetValues<BpfCommand>())
            checks.Add((command.Name(), command.Name(), (long)command));
        // Every errno the loader names, but ENOTSUPP: the kernel's own, never in user-space headers.
        foreach (FieldInfo f in typeof(Errno).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.Name != "ENOTSUPP"))
            checks.Add((f.Name, f.Name, (int)f.GetRawConstantValue()!));

        CProbe.AssertSameAsHeaders(triple, Includes, checks);
    }

    [Fact]
    public void The_running_process_uses_its_own_architecture_numbers_and_epoll_layout()
    {
        Assert.Equal(SyscallNumbers.For(RuntimeInformation.ProcessArchitecture), SyscallNumbers.Current);
        Assert.Equal(SyscallNumbers.Current.Bpf, Libc.SysBpf);
        Assert.Equal(SyscallNumbers.Current.PerfEventOpen, Libc.SysPerfEventOpen);
        Assert.Equal(SyscallNumbers.Current.Membarrier, Libc.SysMembarrier);
        Assert.Equal(EpollEvents.LayoutFor(RuntimeInformation.ProcessArchitecture), EpollEvents.Layout);
    }

    private static void AddFields(List<(string, string, long)> checks, StructMap map)
    {
        foreach (FieldInfo f in Fields(map.Type))
        {
            checks.Add(($"{map.Type.Name}.{f.Name} offset", map.Offset(f.Name), (long)Marshal.OffsetOf(map.Type, f.Name)));
            checks.Add(($"{map.Type.Name}.{f.Name} size", map.Size(f.Name), Marshal.SizeOf(f.FieldType)));
        }
    }

    /// <summary>The fields C names (the bitfield word of perf_event_attr has no C member name).</summary>
    private static IEnumerable<FieldInfo> Fields(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .Where(f => !(type == typeof(PerfEventAttr) && f.Name == nameof(PerfEventAttr.Flags)));

    private static string SnakeCase(string pascal)
    {
        var s = new StringBuilder();
        for (int i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0)
                s.Append('_');
            s.Append(char.ToLowerInvariant(pascal[i]));
        }
        return s.ToString();
    }
}
