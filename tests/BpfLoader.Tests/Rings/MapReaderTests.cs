using System.Buffers.Binary;
using System.Runtime.InteropServices;
using BpfLoader.Links;
using BpfLoader.Maps;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Uapi;
using BpfLoader.Rings;
using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Rings;

/// <summary>Readers made from a BpfMap: the map's type is checked and its size taken (rings_emit.bpf.c as the source).</summary>
[Collection("getppid")]
public sealed partial class MapReaderTests
{
    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetPpid();

    private static Collection Emitter(bool ringBuffer)
    {
        CollectionSpec spec = CollectionSpec.FromResource(typeof(MapReaderTests).Assembly, "rings_emit.bpf.o");
        spec.SetConstant("count", 3u);
        spec.SetConstant("use_rb", ringBuffer);
        spec.SetConstant("use_pb", !ringBuffer);
        spec.SetConstant("target_tgid", (uint)Environment.ProcessId);
        return Collection.Load(spec);
    }

    private static void Read(Collection objects, RingReader reader, int triggers)
    {
        using (BpfLink link = objects.Attach("emit"))
        {
            for (int i = 0; i < triggers; i++) GetPpid();
        }
        reader.DrainAll();
    }

    [KernelFact]
    public void A_ring_buffer_reader_made_from_the_map_reads_its_records()
    {
        using Collection objects = Emitter(ringBuffer: true);
        var seen = new List<ulong>();
        using var reader = new RingBufferReader(objects.Maps["rb"], r => seen.Add(BinaryPrimitives.ReadUInt64LittleEndian(r)), mapDataTwice: false);
        Read(objects, reader, 10);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (ulong)i), seen);
    }

    [KernelFact]
    public void A_perf_event_array_reader_made_from_the_map_stores_its_rings_and_reads_the_records()
    {
        using Collection objects = Emitter(ringBuffer: false);
        var seen = new List<ulong>();
        ulong lost = 0;
        using var reader = new PerfEventArrayReader(objects.Maps["pb"], r => seen.Add(BinaryPrimitives.ReadUInt64LittleEndian(r)), (_, n) => lost += n);
        Read(objects, reader, 10);
        seen.Sort();
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (ulong)i), seen);
        Assert.Equal(0UL, lost);
    }

    [KernelFact]
    public void A_perf_event_array_with_fewer_entries_than_CPUs_gets_rings_only_for_the_CPUs_it_has_entries_for()
    {
        using BpfMap map = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.PerfEventArray, KeySize = 4, ValueSize = 4, MaxEntries = 1, Name = "one_cpu" });
        Assert.Contains(0, BpfLoader.Kernel.CpuList.OnlinePossible().Cpus);
        using var reader = new PerfEventArrayReader(map, _ => { }, options: new PerfEventRingOptions { DataPages = 1 });
        Assert.Equal(0, Assert.Single(reader.Rings).Cpu);
    }

    [KernelFact]
    public void A_map_of_another_type_is_refused_by_name()
    {
        using BpfMap array = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Array, KeySize = 4, ValueSize = 4, MaxEntries = 4, Name = "not_a_ring" });
        var e = Assert.Throws<ArgumentException>(() => new RingBufferReader(array, _ => { }));
        Assert.Contains("not_a_ring", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new PerfEventArrayReader(array, _ => { }));
        Assert.Contains("not a perf event array", e.Message, StringComparison.Ordinal);
    }
}
