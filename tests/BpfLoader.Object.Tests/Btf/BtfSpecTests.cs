using BpfLoader.Object;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Tests.Spec;

namespace BpfLoader.Object.Tests.Btf;

public class BtfSpecTests
{
    private static BtfSpec ObjectBtf(string name = TestObjects.Multi) => CollectionSpec.Parse(TestObjects.Bytes(name)).Btf!;

    [Fact]
    public void Object_BTF_round_trips_through_Marshal_type_by_type()
    {
        BtfSpec btf = ObjectBtf();
        BtfSpec again = BtfSpec.Parse(btf.Marshal());
        Assert.Equal(btf.TypeCount, again.TypeCount);
        for (int id = 1; id < btf.TypeCount; id++)
        {
            BtfType a = btf.Type(id), b = again.Type(id);
            Assert.Equal((a.Kind, a.Name, a.SizeOrType, a.VLen, a.KindFlag), (b.Kind, b.Name, b.SizeOrType, b.VLen, b.KindFlag));
            Assert.Equal(a.Members, b.Members);
            Assert.Equal(a.Params, b.Params);
            Assert.Equal(a.Variables, b.Variables);
        }
    }

    [Fact]
    public void Struct_members_functions_and_variables_decode()
    {
        BtfSpec btf = ObjectBtf();
        BtfType pair = btf.Type(btf.FindTypeId("pair", BtfKind.Struct));
        Assert.Equal(16u, pair.Size);
        Assert.Equal([("a", 0u), ("b", 64u)], pair.Members.Select(m => (m.Name, m.BitOffset)));
        BtfType helper = btf.Type(btf.FindTypeId("global_helper", BtfKind.Func));
        Assert.Equal(1u, helper.Linkage); // global
        BtfType proto = btf.Type(helper.TypeId);
        Assert.Equal(BtfKind.FuncProto, proto.Kind);
        Assert.Equal("key", Assert.Single(proto.Params).Name);
        Assert.Equal(BtfKind.Var, btf.Type(btf.FindTypeId("answer", BtfKind.Var)).Kind);
        Assert.Equal(4ul, btf.ResolveSize(btf.FindTypeId("answer", BtfKind.Var)));
        Assert.Equal(16ul, btf.ResolveSize(btf.FindTypeId("bss_hits", BtfKind.Var)));
        Assert.Empty(btf.TypeIdsByName("no_such_name"));
        Assert.Empty(btf.TypeIdsByName(""));
    }

    [Fact]
    public void Bitfields_and_enums_decode()
    {
        BtfSpec btf = ObjectBtf(TestObjects.CoreRelocs);
        BtfType sock = btf.Type(btf.FindTypeId("sock", BtfKind.Struct));
        BtfMember kern = sock.Members.Single(m => m.Name == "sk_kern_sock");
        BtfMember tx = sock.Members.Single(m => m.Name == "sk_no_check_tx");
        Assert.True(sock.KindFlag);
        Assert.Equal((1u, kern.BitOffset + 1), (kern.BitfieldSize, tx.BitOffset));
        BtfType e = btf.Type(btf.FindTypeId("bpf_map_type___mine", BtfKind.Enum));
        Assert.Equal([("BPF_MAP_TYPE_RINGBUF___mine", 99L), ("BPF_MAP_TYPE_NO_SUCH_MAP___mine", 1000L)], e.EnumValues.Select(v => (v.Name, v.Value)));
    }

    [Fact]
    public void Sanitising_for_an_old_kernel_rewrites_new_kinds_and_keeps_ids()
    {
        // A hand-built blob: INT, FLOAT, DECL_TAG on the INT, TYPE_TAG on the INT, ENUM64 with one value.
        var strings = "\0int\0float\0tag\0e64\0V\0"u8.ToArray();
        var types = new List<uint>
        {
            1, 0x01000000, 4, 0x20,                  // [1] INT 'int' size 4, 32 bits
            5, 0x10000000, 8,                        // [2] FLOAT 'float' size 8
            11, 0x11000000, 1, 0xffffffff,           // [3] DECL_TAG 'tag' -> 1, component -1
            11, 0x12000000, 1,                       // [4] TYPE_TAG 'tag' -> 1
            15, 0x13000001, 8, 19, 5, 0,             // [5] ENUM64 'e64' size 8: V = 5
        };
        byte[] blob = Blob(types, strings);
        BtfSpec btf = BtfSpec.Parse(blob);
        Assert.Equal([BtfKind.Void, BtfKind.Int, BtfKind.Float, BtfKind.DeclTag, BtfKind.TypeTag, BtfKind.Enum64],
            Enumerable.Range(0, btf.TypeCount).Select(i => btf.Type(i).Kind));
        Assert.Equal(-1, btf.Type(3).ComponentIndex);
        Assert.Equal(5L, btf.Type(5).EnumValues[0].Value);
        Assert.Equal(blob, btf.Marshal());

        BtfSpec old = BtfSpec.Parse(btf.Marshal(BtfFeatures.None));
        Assert.Equal(btf.TypeCount, old.TypeCount);
        Assert.Equal([BtfKind.Void, BtfKind.Int, BtfKind.Struct, BtfKind.Int, BtfKind.Const, BtfKind.Union],
            Enumerable.Range(0, old.TypeCount).Select(i => old.Type(i).Kind));
        Assert.Equal(8u, old.Type(2).Size);
        Assert.Equal(1, old.Type(4).TypeId);
        Assert.Equal(8u, old.Type(5).Size);

        BtfSpec partial = BtfSpec.Parse(btf.Marshal(BtfFeatures.All & ~BtfFeatures.TypeTag));
        Assert.Equal(BtfKind.Const, partial.Type(4).Kind);
        Assert.Equal(BtfKind.Enum64, partial.Type(5).Kind);
    }

    [Fact]
    public void Functions_are_found_by_name_among_other_kinds_in_id_order()
    {
        var b = new BtfBuilder();
        int proto = b.FuncProto(0);
        int firstFunc = b.Func("tcp_set_state", proto);
        int structure = b.Composite(BtfKind.Struct, "tcp_set_state", 0);
        int typedef = b.Typedef("tcp_set_state", structure);
        int secondFunc = b.Func("tcp_set_state", proto);
        int other = b.Func("tcp_close", proto);
        BtfSpec btf = b.Build();

        // Lookups that leave functions out come first: the functions' index is built on the first that wants them.
        Assert.Equal([structure, typedef], btf.TypeIdsByName("tcp_set_state", kind => kind != BtfKind.Func));
        Assert.True(btf.TryFindTypeId("tcp_set_state", BtfKind.Typedef, out int id));
        Assert.Equal(typedef, id);
        Assert.Equal([firstFunc, structure, typedef, secondFunc], btf.TypeIdsByName("tcp_set_state"));
        Assert.Equal([firstFunc, secondFunc], btf.TypeIdsByName("tcp_set_state", kind => kind == BtfKind.Func));
        Assert.Equal(firstFunc, btf.FindTypeId("tcp_set_state", BtfKind.Func));
        Assert.Equal(other, btf.FindTypeId("tcp_close", BtfKind.Func));
        Assert.False(btf.TryFindTypeId("tcp_close", BtfKind.Struct, out _));
    }

    [KernelBtfFact]
    public void Kernel_BTF_lookups_by_name_agree_with_a_scan_of_every_type()
    {
        using BtfSpec btf = Vmlinux.Load();
        var scanned = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int id = 1; id < btf.TypeCount; id++)
        {
            string name = btf.Type(id).Name;
            if (name.Length == 0) continue;
            if (!scanned.TryGetValue(name, out List<int>? ids)) scanned[name] = ids = [];
            ids.Add(id);
        }
        Assert.Contains(scanned, e => e.Value.Any(id => btf.Type(id).Kind == BtfKind.Func));
        foreach ((string name, List<int> ids) in scanned.Where((_, i) => i % 53 == 0).Append(new("sock", scanned["sock"])))
        {
            Assert.Equal(ids, btf.TypeIdsByName(name));
            Assert.Equal(ids.Where(id => btf.Type(id).Kind != BtfKind.Func), btf.TypeIdsByName(name, kind => kind != BtfKind.Func));
        }
        Assert.Equal(BtfKind.Func, btf.Type(btf.FindTypeId("tcp_set_state", BtfKind.Func)).Kind);
        Assert.Equal(BtfKind.Typedef, btf.Type(btf.FindTypeId("btf_trace_inet_sock_set_state", BtfKind.Typedef)).Kind);
    }

    [Fact]
    public void Types_smaller_than_a_kernel_s_average_are_indexed_whole()
    {
        // 12-byte pointers: more types than the index's first size, taken from the section's length, holds.
        var b = new BtfBuilder();
        int last = b.Int("int", 4, signed: true);
        for (int i = 0; i < 5000; i++)
            last = b.Pointer(last);
        int named = b.Typedef("after_the_growth", last);
        BtfSpec btf = b.Build();

        Assert.Equal(named + 1, btf.TypeCount);
        Assert.Equal(BtfKind.Pointer, btf.Type(last).Kind);
        Assert.Equal(last - 1, btf.Type(last).TypeId);
        Assert.Equal([named], btf.TypeIdsByName("after_the_growth"));
        Assert.Equal(BtfKind.Int, btf.Type(btf.FindTypeId("int", BtfKind.Int)).Kind);
    }

    [Fact]
    public void Malformed_blobs_are_refused()
    {
        var strings = "\0int\0"u8.ToArray();
        Assert.Throws<BpfObjectException>(() => BtfSpec.Parse(Blob([1, 0x01000000, 4], strings)));          // INT without its 4 bytes
        Assert.Throws<BpfObjectException>(() => BtfSpec.Parse(Blob([1, 0x1f000000, 4], strings)));          // kind 31
        Assert.Throws<BpfObjectException>(() => BtfSpec.Parse(Blob([99, 0x01000000, 4, 0x20], strings)));  // name past the strings
        Assert.Throws<BpfObjectException>(() => BtfSpec.Parse(Blob([99, 0x0c000000, 0], strings)));        // a function's too
        Assert.Throws<BpfObjectException>(() => BtfSpec.Parse(new byte[10]));
        BtfSpec ok = BtfSpec.Parse(Blob([1, 0x02000000, 7], strings));                                      // PTR to a type that is not there
        Assert.Throws<BpfObjectException>(() => ok.ResolveSize(ok.Type(1).TypeId));
    }

    private static byte[] Blob(List<uint> types, byte[] strings)
    {
        int typeLen = types.Count * 4;
        var blob = new byte[24 + typeLen + strings.Length];
        BitConverter.GetBytes((ushort)0xeB9F).CopyTo(blob, 0);
        blob[2] = 1;
        BitConverter.GetBytes(24u).CopyTo(blob, 4);
        BitConverter.GetBytes(0u).CopyTo(blob, 8);
        BitConverter.GetBytes((uint)typeLen).CopyTo(blob, 12);
        BitConverter.GetBytes((uint)typeLen).CopyTo(blob, 16);
        BitConverter.GetBytes((uint)strings.Length).CopyTo(blob, 20);
        for (int i = 0; i < types.Count; i++) BitConverter.GetBytes(types[i]).CopyTo(blob, 24 + i * 4);
        strings.CopyTo(blob, 24 + typeLen);
        return blob;
    }
}
