using System.Runtime.InteropServices;
using BpfLoader.Links;
using BpfLoader.Maps;
using BpfLoader.Object;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Uapi;
using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Compat;

/// <summary>
/// Maps of maps and prog arrays as libbpf objects declare them (compat_map_in_map.bpf.c): the inner
/// template from <c>__array(values, struct inner)</c>, initial values from <c>.values = { [i] = &amp;x }</c>.
/// </summary>
[Collection("getppid")]
public sealed partial class MapInMapTests
{
    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetPpid();

    private static CollectionSpec Spec()
    {
        CollectionSpec spec = CollectionSpec.FromResource(typeof(MapInMapTests).Assembly, "compat_map_in_map.bpf.o");
        spec.SetConstant("target_tgid", (uint)Environment.ProcessId);
        return spec;
    }

    [Fact]
    public void The_spec_has_the_inner_template_and_the_initial_values()
    {
        CollectionSpec spec = Spec();
        MapSpec outer = spec.Maps["outer"];
        Assert.Equal(BpfMapType.ArrayOfMaps, outer.Type);
        Assert.Equal(4u, outer.ValueSize);
        Assert.NotNull(outer.InnerMap);
        Assert.Equal(BpfMapType.Array, outer.InnerMap.Type);
        Assert.Equal(8u, outer.InnerMap.ValueSize);
        Assert.Equal(4u, outer.InnerMap.MaxEntries);
        Assert.Equal(new Dictionary<uint, string> { [0] = "inner_a", [1] = "inner_b" }, outer.InitialEntries);
        Assert.Equal(new Dictionary<uint, string> { [5] = "inner_b" }, spec.Maps["outer_hash"].InitialEntries);
        Assert.Equal(new Dictionary<uint, string> { [1] = "tail_target" }, spec.Maps["jumps"].InitialEntries);
    }

    [KernelFact]
    public void A_program_writes_through_the_outer_maps_into_the_inner_ones()
    {
        CollectionSpec spec = Spec();
        using Collection objects = Collection.Load(spec, new CollectionOptions { Programs = ["through_outer"] });
        // The inner maps were created for the outer maps' initial values, though no program names them.
        BpfMap a = objects.Maps["inner_a"], b = objects.Maps["inner_b"];
        using (BpfLink link = objects.Attach("through_outer"))
            GetPpid();

        Assert.True(a.TryLookup(1u, out ulong a1));
        Assert.Equal(42UL, a1);
        Assert.True(b.TryLookup(2u, out ulong b2));
        Assert.Equal(43UL, b2);
        Assert.True(b.TryLookup(3u, out ulong b3));
        Assert.Equal(44UL, b3);
        // The outer maps hold the inner maps' ids.
        Assert.True(objects.Maps["outer"].TryLookup(0u, out uint id0));
        Assert.Equal(a.GetId(), id0);
        Assert.True(objects.Maps["outer_hash"].TryLookup(5u, out uint id5));
        Assert.Equal(b.GetId(), id5);
    }

    [KernelFact]
    public void A_prog_array_starts_with_its_initial_program_and_the_tail_call_lands()
    {
        CollectionSpec spec = Spec();
        using Collection objects = Collection.Load(spec, new CollectionOptions { Programs = ["tail_entry", "tail_target"] });
        using (BpfLink link = objects.Attach("tail_entry"))
            GetPpid();
        var g = new GlobalsReader(spec, objects);
        Assert.NotEqual(0UL, g.U64("tail_hits"));
        Assert.Equal(0UL, g.U64("tail_missed"));
    }

    [KernelFact]
    public void A_prog_array_whose_initial_program_is_not_loaded_is_refused()
    {
        BpfException e = Assert.Throws<BpfException>(
            () => Collection.Load(Spec(), new CollectionOptions { Programs = ["tail_entry"] }));
        Assert.Contains("tail_target", e.Message, StringComparison.Ordinal);
    }
}
