using System.Buffers.Binary;
using System.Runtime.InteropServices;
using BpfLoader.Errors;
using BpfLoader.Links;
using BpfLoader.Maps;
using BpfLoader.Object;
using BpfLoader.Object.Spec;
using BpfLoader.Rings;
using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Loading;

/// <summary>
/// The whole path: a clang-built object parsed, relocated, loaded, attached, and its records read
/// back through each transport. rings_emit.bpf.c emits `count` numbered records per getppid() of ours.
/// </summary>
[Collection("getppid")]
public sealed partial class CollectionTests
{
    private const int RecordSize = 32;

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetPpid();

    private static CollectionSpec Emitter(uint count, bool ringBuffer, bool perf)
    {
        CollectionSpec spec = CollectionSpec.FromResource(typeof(CollectionTests).Assembly, "rings_emit.bpf.o");
        spec.SetConstant("count", count);
        spec.SetConstant("use_rb", ringBuffer);
        spec.SetConstant("use_pb", perf);
        spec.SetConstant("target_tgid", (uint)Environment.ProcessId);
        return spec;
    }

    /// <summary>Attached, each getppid() is followed by a poll; then detached and drained.</summary>
    private static void TriggerWhileReading(Collection objects, RingReader reader, int triggers)
    {
        using var poller = new RingPoller();
        poller.Add(reader);
        using (BpfLink link = objects.Attach("emit"))
        {
            for (int i = 0; i < triggers; i++)
            {
                GetPpid();
                poller.Poll(0);
            }
        }
        reader.DrainAll();
    }

    private static ulong Seq(ReadOnlySpan<byte> record) => BinaryPrimitives.ReadUInt64LittleEndian(record);

    [KernelFact]
    public void Ring_buffer_delivers_every_record_once_and_in_order()
    {
        const int triggers = 50, perTrigger = 40;
        using Collection objects = Collection.Load(Emitter(perTrigger, ringBuffer: true, perf: false));
        var seen = new List<ulong>();
        BpfMap rb = objects.Maps["rb"];
        using var reader = new RingBufferReader(rb.Fd, (uint)rb.MaxEntries, r =>
        {
            Assert.Equal(RecordSize, r.Length);
            seen.Add(Seq(r));
        });
        TriggerWhileReading(objects, reader, triggers);

        Assert.Equal(Enumerable.Range(0, triggers * perTrigger).Select(i => (ulong)i), seen);
    }

    [KernelFact]
    public void The_maps_are_handed_over_as_soon_as_they_exist_and_a_ring_opened_then_gets_every_record()
    {
        const int triggers = 20, perTrigger = 10;
        RingBufferReader? reader = null;
        var seen = new List<ulong>();
        var handed = new List<string>();
        using (Collection objects = Collection.Load(Emitter(perTrigger, ringBuffer: true, perf: false), new CollectionOptions
        {
            MapsCreated = maps =>
            {
                handed.AddRange(maps.Keys.Order());
                BpfMap rb = maps["rb"];
                reader = new RingBufferReader(rb.Fd, (uint)rb.MaxEntries, r => seen.Add(Seq(r)));
            },
        }))
        using (reader)
        {
            Assert.NotNull(reader);
            Assert.Equal(objects.Maps.Keys.Order(), handed);
            TriggerWhileReading(objects, reader, triggers);
        }
        Assert.Equal(Enumerable.Range(0, triggers * perTrigger).Select(i => (ulong)i), seen);
    }

    [KernelFact]
    public void The_maps_are_handed_over_before_the_programs_are_verified_and_closed_when_verification_fails()
    {
        CollectionSpec spec = CollectionSpec.FromResource(typeof(CollectionTests).Assembly, "rejected.bpf.o");
        var handed = new List<BpfMap>();
        Assert.Throws<BpfVerifierException>(() => Collection.Load(spec, new CollectionOptions { MapsCreated = maps => handed.AddRange(maps.Values) }));
        Assert.NotEmpty(handed);
        Assert.All(handed, m => Assert.True(m.Fd.IsClosed, $"map {m.Name} is still open"));
    }

    [KernelFact]
    public void Perf_buffer_delivers_every_record_once()
    {
        const int triggers = 50, perTrigger = 40;
        using Collection objects = Collection.Load(Emitter(perTrigger, ringBuffer: false, perf: true));
        var seen = new List<ulong>();
        ulong lost = 0;
        BpfMap pb = objects.Maps["pb"];
        Assert.Equal(BpfMap.PossibleCpuCount, pb.MaxEntries);   // sized by the loader
        using var reader = PerfEventArrayReader.Open((cpu, fd) => pb.Update(cpu, fd.Value),
            r => seen.Add(Seq(r)), (_, n) => lost += n);
        TriggerWhileReading(objects, reader, triggers);

        Assert.Equal(0UL, lost);
        seen.Sort();
        Assert.Equal(Enumerable.Range(0, triggers * perTrigger).Select(i => (ulong)i), seen);
    }

    [KernelFact]
    public void A_tiny_perf_ring_under_a_burst_accounts_for_every_record_as_received_or_lost()
    {
        const int perTrigger = 4096, burst = 4;
        CollectionSpec spec = Emitter(perTrigger, ringBuffer: false, perf: true);
        using Collection objects = Collection.Load(spec);
        var seen = new HashSet<ulong>();
        ulong reportedLost = 0;
        BpfMap pb = objects.Maps["pb"];
        using var reader = PerfEventArrayReader.Open((cpu, fd) => pb.Update(cpu, fd.Value),
            r => Assert.True(seen.Add(Seq(r)), "a record arrived twice"), (_, n) => reportedLost += n,
            new PerfEventRingOptions { DataPages = 1 });
        // On one CPU: the kernel reports a perf ring's losses with the next record written to that same ring.
        using (new ThreadPin(BpfLoader.Kernel.CpuList.OnlinePossible().Cpus[0]))
        using (BpfLink link = objects.Attach("emit"))
        {
            for (int i = 0; i < burst; i++) GetPpid();   // nobody reads during the burst
            reader.DrainAll();
            ulong failedInBurst = Global(objects, spec, "pb_failed");
            Assert.True(failedInBurst > 0, "a 4 KiB ring cannot hold 16,384 records");
            // The kernel writes its PERF_RECORD_LOST with the next record that fits: one more trigger.
            GetPpid();
            reader.DrainAll();
            Assert.True(reportedLost >= failedInBurst, $"kernel reported {reportedLost} lost, the program saw {failedInBurst} fail");
        }
        reader.DrainAll();

        // Every record is either received or counted as failed by the program, and the kernel's own
        // lost records never claim more than failed.
        ulong failed = Global(objects, spec, "pb_failed");
        Assert.Equal((ulong)(perTrigger * (burst + 1)), (ulong)seen.Count + failed);
        Assert.InRange(reportedLost, 1UL, failed);
    }

    /// <summary>A u64 global of the object (in .bss), read from the kernel's copy.</summary>
    private static ulong Global(Collection objects, CollectionSpec spec, string name)
    {
        GlobalVariable v = spec.Variables[name];
        BpfMap map = objects.Maps[v.MapName];
        var value = new byte[map.ValueSize];
        Assert.True(map.TryLookup(new byte[4], value));
        return BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(v.Offset));
    }

    [KernelFact]
    public void A_program_the_verifier_rejects_gives_its_log_with_the_source_line()
    {
        CollectionSpec spec = CollectionSpec.FromResource(typeof(CollectionTests).Assembly, "rejected.bpf.o");
        var e = Assert.Throws<BpfVerifierException>(() => Collection.Load(spec));
        Assert.Equal("unchecked_lookup", e.ProgramName);
        Assert.Contains("invalid mem access 'map_value_or_null'", e.VerifierLog);
        Assert.Contains("return (int)*v; /* no NULL check: rejected */", e.VerifierLog);   // from line_info
        Assert.Contains("invalid mem access", e.Message);
        Assert.DoesNotContain("CAP_BPF", e.Message);   // root was refused for what the log says, not for capabilities
    }

    [KernelFact]
    public void Programs_verified_side_by_side_each_load_and_a_rejected_one_among_them_is_the_error()
    {
        CollectionSpec spec = CollectionSpec.FromResource(typeof(CollectionTests).Assembly, "rejected.bpf.o");
        using (Collection accepted = Collection.Load(spec, new CollectionOptions { Programs = ["accepted_first", "accepted_last"] }))
        {
            Assert.Equal(["accepted_first", "accepted_last"], accepted.Programs.Keys.Order());
            Assert.All(accepted.Programs, p => Assert.Equal(p.Key, p.Value.GetInfo().Name));
        }
        for (int i = 0; i < 5; i++)   // whichever thread gets to it, and whenever the others finish
        {
            var e = Assert.Throws<BpfVerifierException>(() => Collection.Load(spec));
            Assert.Equal("unchecked_lookup", e.ProgramName);
        }
    }

    [KernelFact]
    public void Asking_for_a_program_the_object_lacks_is_an_error_naming_what_it_has()
    {
        var e = Assert.Throws<BpfException>(() =>
            Collection.Load(Emitter(1, true, true), new CollectionOptions { Programs = new[] { "nope" } }));
        Assert.Contains("'nope'", e.Message);
        Assert.Contains("emit", e.Message);
    }
}
