using BpfLoader.Maps;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Tests.Spec;

namespace BpfLoader.Tests.Attach;

/// <summary>bpf/attach_types.bpf.c: one program per attach type, each counting its runs in a slot of `hits`.</summary>
internal static class AttachObjects
{
    public const string Name = "attach_types.bpf.o";

    // The slots of `hits`, as the C enum numbers them.
    public const int Xdp = 0, Tcx = 1, Socket = 2, CgroupSkb = 3, SockOps = 4, Connect4 = 5, PerfEvent = 6, Uprobe = 7, Kprobe = 8, Iter = 9, UprobeBySection = 10;

    public static CollectionSpec Spec() => CollectionSpec.Parse(TestObjects.Bytes(Name));

    /// <summary>Loads only the named programs (and the maps they use).</summary>
    public static Collection Load(params string[] programs) =>
        Collection.Load(Spec(), new CollectionOptions { Programs = programs });

    public static ulong Hits(Collection objects, int slot)
    {
        BpfMap hits = objects.Maps["hits"];
        Span<byte> key = stackalloc byte[4];
        BitConverter.TryWriteBytes(key, slot);
        Span<byte> value = stackalloc byte[8];
        Assert.True(hits.TryLookup(key, value));
        return BitConverter.ToUInt64(value);
    }
}
