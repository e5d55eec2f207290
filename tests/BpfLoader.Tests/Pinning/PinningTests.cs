using BpfLoader.Errors;
using BpfLoader.Links;
using BpfLoader.Maps;
using BpfLoader.Object;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Tests.Spec;
using BpfLoader.Object.Uapi;
using BpfLoader.Pinning;
using BpfLoader.Programs;
using BpfLoader.Tests.Attach;
using BpfLoader.Tests.Kernel;
using Microsoft.Win32.SafeHandles;

namespace BpfLoader.Tests.Pinning;

/// <summary>Pins, unpins and opening maps, programs and links again, in a bpffs each test mounts for itself.</summary>
public sealed class PinningTests
{
    private const string PinByName = "pin_by_name.bpf.o";

    [KernelFact]
    public void A_pinned_map_opened_from_its_pin_is_the_same_map()
    {
        using var fs = new TempBpffs();
        using BpfMap map = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 4, Name = "pinned" });
        BpfPins.Pin(map, fs.File("pinned"));

        using BpfMap opened = BpfPins.OpenMap(fs.File("pinned"));
        opened.Update(BitConverter.GetBytes(2), BitConverter.GetBytes(77UL));

        Assert.Equal((map.Type, map.KeySize, map.ValueSize, map.MaxEntries, "pinned"), (opened.Type, opened.KeySize, opened.ValueSize, opened.MaxEntries, opened.Name));
        Assert.Equal(map.GetId(), opened.GetId());
        var value = new byte[8];
        Assert.True(map.TryLookup(BitConverter.GetBytes(2), value));
        Assert.Equal(77UL, BitConverter.ToUInt64(value));
    }

    [KernelFact]
    public void Unpinning_removes_the_pin_and_opening_it_then_is_ENOENT()
    {
        using var fs = new TempBpffs();
        using BpfMap map = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1 });
        BpfPins.Pin(map, fs.File("gone"));
        Assert.True(BpfPins.Exists(fs.File("gone")));

        BpfPins.Unpin(fs.File("gone"));

        Assert.False(BpfPins.Exists(fs.File("gone")));
        var e = Assert.Throws<BpfSyscallException>(() => BpfPins.OpenMap(fs.File("gone")));
        Assert.Equal(("BPF_OBJ_GET", "ENOENT"), (e.Operation, e.ErrnoName));
    }

    [KernelFact]
    public void Pinning_twice_at_one_path_is_EEXIST()
    {
        using var fs = new TempBpffs();
        using BpfMap map = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1 });
        BpfPins.Pin(map, fs.File("once"));
        var e = Assert.Throws<BpfSyscallException>(() => BpfPins.Pin(map, fs.File("once")));
        Assert.Equal(("BPF_OBJ_PIN", "EEXIST"), (e.Operation, e.ErrnoName));
    }

    [KernelFact]
    public void A_map_opens_from_its_id_and_from_another_handle()
    {
        using BpfMap map = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Hash, KeySize = 4, ValueSize = 4, MaxEntries = 8, Name = "by_id" });
        using BpfMap byId = BpfPins.OpenMap(map.GetId());
        using SafeFileHandle handle = map.DuplicateHandle();
        using BpfMap byHandle = BpfPins.MapFromHandle(handle);

        Assert.Equal(map.GetId(), byId.GetId());
        Assert.Equal(map.GetId(), byHandle.GetId());
        Assert.NotEqual(map.Fd.Value, (int)handle.DangerousGetHandle());   // a duplicate, not the map's own fd
        Assert.NotEqual((int)handle.DangerousGetHandle(), byHandle.Fd.Value);   // and duplicated again: the caller keeps its own
        Assert.Equal(BpfMapType.Hash, byId.Type);
    }

    [KernelFact]
    public void A_duplicated_handle_keeps_the_map_after_the_map_is_disposed()
    {
        var map = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1, Name = "dup" });
        map.Update(0u, 42UL);
        uint id = map.GetId();
        using SafeFileHandle handle = map.DuplicateHandle();
        map.Dispose();

        using BpfMap again = BpfPins.MapFromHandle(handle);
        Assert.Equal(id, again.GetId());
        Assert.True(again.TryLookup(0u, out ulong value));
        Assert.Equal(42UL, value);
    }

    [KernelFact]
    public void A_map_fd_opened_as_a_program_is_refused_by_kind()
    {
        using BpfMap map = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1 });
        var e = Assert.Throws<BpfException>(() => BpfPins.ProgramFromHandle(map.DuplicateHandle()));
        Assert.Contains("not a BPF program", e.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public void A_pinned_program_opens_from_its_pin_and_its_id()
    {
        using var fs = new TempBpffs();
        using Collection objects = AttachObjects.Load("count_socket");
        BpfProgram program = objects.Programs["count_socket"];
        program.Pin(fs.File("prog"));

        using BpfProgram fromPin = BpfPins.OpenProgram(fs.File("prog"));
        using BpfProgram fromId = BpfPins.OpenProgram(program.GetInfo().Id);

        Assert.Equal(program.GetInfo().Id, fromPin.GetInfo().Id);
        Assert.Equal(program.GetInfo().Id, fromId.GetInfo().Id);
        Assert.Equal(BpfProgramType.SocketFilter, fromPin.Type);
        Assert.Equal("count_socket", fromPin.Name);
    }

    [KernelFact]
    public void A_pinned_link_stays_attached_after_its_creator_closes_it()
    {
        using var fs = new TempBpffs();
        using Collection objects = AttachObjects.Load("dump_map_ids");
        uint linkId;
        using (IterLink link = IterLink.Attach(objects.Programs["dump_map_ids"]))
        {
            link.Pin(fs.File("link"));
            linkId = link.GetInfo().Id;
        }

        using BpfLink fromPin = BpfPins.OpenLink(fs.File("link"));
        using BpfLink fromId = BpfPins.OpenLink(linkId);

        BpfLinkInfo info = fromPin.GetInfo();
        Assert.Equal((linkId, 4u, objects.Programs["dump_map_ids"].GetInfo().Id), (info.Id, info.Type, info.ProgramId));
        Assert.Equal(linkId, fromId.GetInfo().Id);
    }

    [KernelFact]
    public void A_map_with_pinning_by_name_is_pinned_at_load_and_reused_by_the_next_load()
    {
        using var fs = new TempBpffs();
        var options = new CollectionOptions { PinPath = fs.Path };
        using Collection first = Collection.Load(CollectionSpec.Parse(TestObjects.Bytes(PinByName)), options);
        Assert.True(BpfPins.Exists(fs.File("shared_counts")));
        Assert.Empty(first.ReusedPinnedMaps);
        first.Maps["shared_counts"].Update(BitConverter.GetBytes(1u), BitConverter.GetBytes(41UL));

        using Collection second = Collection.Load(CollectionSpec.Parse(TestObjects.Bytes(PinByName)), options);

        Assert.Equal(["shared_counts"], second.ReusedPinnedMaps);
        Assert.Equal(first.Maps["shared_counts"].GetId(), second.Maps["shared_counts"].GetId());
        var value = new byte[8];
        Assert.True(second.Maps["shared_counts"].TryLookup(BitConverter.GetBytes(1u), value));
        Assert.Equal(41UL, BitConverter.ToUInt64(value));
    }

    [KernelFact]
    public void A_pinned_map_of_another_shape_is_not_reused_and_the_load_says_how_it_differs()
    {
        using var fs = new TempBpffs();
        using BpfMap other = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Hash, KeySize = 4, ValueSize = 8, MaxEntries = 99, Name = "shared_counts" });
        BpfPins.Pin(other, fs.File("shared_counts"));

        var e = Assert.Throws<BpfException>(() =>
            Collection.Load(CollectionSpec.Parse(TestObjects.Bytes(PinByName)), new CollectionOptions { PinPath = fs.Path }));

        Assert.Contains("max entries 99, not 16", e.Message, StringComparison.Ordinal);
        Assert.Contains(fs.File("shared_counts"), e.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Without_pinning_in_its_definition_a_map_is_never_pinned()
    {
        using var fs = new TempBpffs();
        using Collection objects = Collection.Load(AttachObjects.Spec(), new CollectionOptions { Programs = ["count_socket"], PinPath = fs.Path });
        // A fresh bpffs may hold the kernel's preloaded maps.debug and progs.debug; nothing of ours.
        Assert.False(BpfPins.Exists(fs.File("hits")));
        Assert.All(Directory.GetFileSystemEntries(fs.Path), f => Assert.EndsWith(".debug", f, StringComparison.Ordinal));
    }
}
