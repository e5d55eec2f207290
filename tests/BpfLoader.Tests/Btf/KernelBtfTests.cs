using System.Diagnostics;
using BpfLoader.Kernel;
using BpfLoader.Object;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Spec;
using BpfLoader.Tests.Kernel;
using BpfLoader.Object.Tests.Btf;
using Xunit.Abstractions;

namespace BpfLoader.Tests.Btf;

public class KernelBtfTests(ITestOutputHelper output)
{
    [KernelBtfFact]
    public void Every_kernel_type_decodes_and_names_index_back_to_their_ids()
    {
        using BtfSpec kernel = KernelBtf.Load();
        Assert.True(kernel.TypeCount > 10_000, $"only {kernel.TypeCount} types");
        int named = 0;
        for (int id = 1; id < kernel.TypeCount; id++)
        {
            BtfType t = kernel.Type(id);
            Assert.Equal(id, t.Id);
            if (t.Name.Length == 0) continue;
            named++;
            Assert.Contains(id, kernel.TypeIdsByName(t.Name));
        }
        Assert.True(named > kernel.TypeCount / 2);
    }

    [KernelBtfFact(NeedsBpftool: true)]
    public void Type_count_and_struct_sock_layout_match_bpftool()
    {
        using BtfSpec kernel = KernelBtf.Load();
        BpftoolRawDump reference = BpftoolRawDump.Kernel;
        Assert.Equal(reference.Count + 1, kernel.TypeCount); // + void

        int sockId = kernel.FindTypeId("sock", BtfKind.Struct);
        Assert.Equal(reference.Struct("sock").Id, sockId);
        Assert.Equal((ulong)reference.Struct("sock").Size, kernel.ResolveSize(sockId));

        foreach (string path in new[] { "__sk_common.skc_daddr", "__sk_common.skc_family", "sk_protocol", "__sk_common.skc_dport", "sk_kern_sock" })
        {
            (long expected, BpftoolRawDump.Member member) = reference.Find("sock", path);
            (long actual, BtfMember ours) = FindMember(kernel, sockId, path);
            Assert.Equal(expected, actual);
            Assert.Equal(member.BitfieldSize, (int)ours.BitfieldSize);
            Assert.Equal(member.TypeId, ours.TypeId);
        }
    }

    [KernelBtfFact]
    public void Glue_lookups_find_the_tracepoint_typedef_and_functions()
    {
        using BtfSpec kernel = KernelBtf.Load();
        int typedefId = kernel.FindTypeId("btf_trace_inet_sock_set_state", BtfKind.Typedef);
        Assert.Equal(BtfKind.Pointer, kernel.Type(kernel.Type(typedefId).TypeId).Kind);
        Assert.Equal(BtfKind.Func, kernel.Type(kernel.FindTypeId("tcp_set_state", BtfKind.Func)).Kind);
        Assert.False(kernel.TryFindTypeId("tcp_set_state", BtfKind.Struct, out _));
        BpfException e = Assert.Throws<BpfException>(() => kernel.FindTypeId("no_such_function_at_all", BtfKind.Func));
        Assert.Contains("no_such_function_at_all", e.Message, StringComparison.Ordinal);
    }

    [KernelBtfFact]
    public void Repeated_loads_index_the_same_types_and_report_their_time()
    {
        var times = new List<double>();
        BtfSpec? spec = null;
        var sockIds = new HashSet<int>();
        for (int i = 0; i < 7; i++)
        {
            var sw = Stopwatch.StartNew();
            spec?.Dispose();
            spec = KernelBtf.Load();
            sockIds.Add(spec.FindTypeId("sock", BtfKind.Struct));
            sw.Stop();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        Assert.Single(sockIds);
        times.Sort();
        output.WriteLine($"kernel BTF: {spec!.TypeCount} types, {new FileInfo(KernelBtf.Path).Length} bytes; load+index+lookup median {times[times.Count / 2]:F1} ms (min {times[0]:F1}, max {times[^1]:F1})");
        spec.Dispose();
    }

    [KernelBtfFact]
    public void Marshal_round_trips_the_kernel_BTF_byte_for_byte()
    {
        byte[] original = File.ReadAllBytes(KernelBtf.Path);
        byte[] marshalled = BtfSpec.Parse(original.AsSpan()).Marshal();
        Assert.Equal(original, marshalled);
    }

    [KernelBtfFact]
    public void The_mapped_kernel_BTF_reads_as_the_file_does_and_is_gone_once_disposed()
    {
        using BtfSpec copy = BtfSpec.Parse(File.ReadAllBytes(KernelBtf.Path));
        BtfSpec mapped = KernelBtf.Load();
        Assert.Equal(copy.TypeCount, mapped.TypeCount);
        Assert.Equal(copy.Marshal(), mapped.Marshal());
        foreach (string name in new[] { "sock", "sk_buff", "task_struct", "btf_trace_inet_sock_set_state", "tcp_set_state", "x" })
            Assert.Equal(copy.TypeIdsByName(name), mapped.TypeIdsByName(name));

        mapped.Dispose();
        Assert.Throws<ObjectDisposedException>(() => mapped.TypeIdsByName("sock"));
        mapped.Dispose();   // twice is harmless
    }

    [KernelBtfFact]
    public void Read_in_the_background_it_is_the_same_spec()
    {
        using KernelBtfLoad loading = KernelBtf.LoadInBackground();
        using BtfSpec direct = KernelBtf.Load();
        Assert.Equal(direct.TypeCount, loading.Spec.TypeCount);
        Assert.Equal(direct.FindTypeId("sock", BtfKind.Struct), loading.Spec.FindTypeId("sock", BtfKind.Struct));
    }

    [Fact]
    public void A_background_read_that_failed_fails_where_its_spec_is_asked_for_and_disposes_quietly()
    {
        var loading = KernelBtf.LoadInBackground("/nonexistent/vmlinux");
        var e = Assert.Throws<BpfException>(() => loading.Spec);
        Assert.Contains("cannot read kernel BTF /nonexistent/vmlinux", e.Message);
        Assert.Contains(nameof(KernelBtf.Load), e.StackTrace);   // the read's own stack, not only where it was awaited
        loading.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loading.Spec);
    }

    [KernelBtfFact]
    public void Disposing_the_background_read_unmaps_what_it_read()
    {
        var loading = KernelBtf.LoadInBackground();
        BtfSpec spec = loading.Spec;
        Assert.NotEmpty(spec.TypeIdsByName("sock"));
        loading.Dispose();
        Assert.Throws<ObjectDisposedException>(() => spec.TypeIdsByName("sock"));
        loading.Dispose();   // twice is harmless
    }

    [KernelFact]
    public void A_load_given_the_kernel_s_BTF_being_read_uses_it_and_leaves_it_to_the_caller()
    {
        CollectionSpec objectSpec = CollectionSpec.FromResource(typeof(KernelBtfTests).Assembly, "compat_core_guard.bpf.o");
        using KernelBtfLoad loading = KernelBtf.LoadInBackground();
        using (Collection loaded = Collection.Load(objectSpec, new CollectionOptions { Programs = ["guarded"], KernelBtfLoading = loading }))
            Assert.True(loaded.Programs.ContainsKey("guarded"));
        Assert.NotEmpty(loading.Spec.TypeIdsByName("task_struct"));   // not unmapped by the load
    }

    internal static (long BitOffset, BtfMember Member) FindMember(BtfSpec btf, int structId, string path)
    {
        long offset = 0;
        BtfMember found = default;
        int current = structId;
        foreach (string name in path.Split('.'))
        {
            (long o, BtfMember m) = FindIn(btf, btf.SkipModifiersAndTypedefs(current), name) ?? throw new InvalidOperationException(path);
            offset += o;
            found = m;
            current = m.TypeId;
        }
        return (offset, found);
    }

    private static (long, BtfMember)? FindIn(BtfSpec btf, BtfType t, string name)
    {
        foreach (BtfMember m in t.Members)
        {
            if (m.Name == name) return (m.BitOffset, m);
            if (m.Name.Length == 0 && FindIn(btf, btf.SkipModifiersAndTypedefs(m.TypeId), name) is (long inner, BtfMember mm))
                return (m.BitOffset + inner, mm);
        }
        return null;
    }
}
