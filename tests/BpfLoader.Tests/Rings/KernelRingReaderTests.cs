using System.Buffers.Binary;
using BpfLoader.Kernel;
using BpfLoader.Rings;
using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Rings;

/// <summary>
/// The readers over real kernel maps and perf events, fed by a hand-assembled program run with
/// BPF_PROG_TEST_RUN (so no tracepoint or loader is needed).
/// </summary>
public class KernelRingReaderTests
{
    private const int Low = 0x11223344, High = 0x55667788;
    private const ulong Expected = 0x55667788_11223344;

    /// <summary>Polls until <paramref name="wanted"/> records came, with a bounded number of rounds (a hang guard).</summary>
    private static int PollFor(RingPoller poller, int wanted)
    {
        int got = 0;
        for (int round = 0; round < 100 && got < wanted; round++)
            got += poller.Poll(1000);
        return got;
    }

    [KernelFact]
    public void A_ring_buffer_map_is_mapped_and_an_empty_Poll_times_out_with_nothing()
    {
        using var map = RawBpf.CreateMap(RawBpf.MapTypeRingbuf, 0, 0, 4096 * 4);
        int records = 0;
        using var reader = new RingBufferReader(map, 4096 * 4, _ => records++);
        using var poller = new RingPoller();
        poller.Add(reader);

        Assert.Equal(0, poller.Poll(50));
        Assert.Equal(0UL, reader.Cursor.Pending);
        Assert.Equal(0, records);
    }

    [KernelFact]
    public void A_size_that_is_not_a_power_of_two_pages_is_refused()
    {
        using var map = RawBpf.CreateMap(RawBpf.MapTypeRingbuf, 0, 0, 4096 * 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RingBufferReader(map, 4096 * 3, _ => { }));
    }

    [KernelFact]
    public void Records_from_bpf_ringbuf_output_arrive_through_the_mmap_and_epoll() => RingbufOutputArrives(mapDataTwice: true);

    [KernelFact]
    public void Records_arrive_as_well_with_the_data_mapped_once() => RingbufOutputArrives(mapDataTwice: false);

    private static void RingbufOutputArrives(bool mapDataTwice)
    {
        const int runs = 3000;   // 16-byte records through a 16 KiB ring: several rounds of wrapping
        using var map = RawBpf.CreateMap(RawBpf.MapTypeRingbuf, 0, 0, 4096 * 4);
        using var program = RawBpf.LoadProgram(RawBpf.ProgTypeSocketFilter, RawBpf.EmitEightBytes(map, ringbuf: true, Low, High));
        var values = new List<ulong>();
        using var reader = new RingBufferReader(map, 4096 * 4, r => values.Add(r.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(r) : 0), mapDataTwice);
        using var poller = new RingPoller();
        poller.Add(reader);

        int delivered = 0;
        for (int batch = 0; batch < runs / 500; batch++)
        {
            RawBpf.TestRun(program, 500);
            delivered += PollFor(poller, 500);
        }

        Assert.Equal(runs, delivered);
        Assert.Equal(runs, values.Count);
        Assert.All(values, v => Assert.Equal(Expected, v));
        Assert.Equal(0, poller.Poll(0));
    }

    [KernelFact]
    public void Records_from_bpf_perf_event_output_arrive_in_the_ring_of_the_current_CPU()
    {
        const int runs = 1000;
        using var map = RawBpf.CreateMap(RawBpf.MapTypePerfEventArray, 4, 4, (uint)RawBpf.PossibleCpuCount());
        using var program = RawBpf.LoadProgram(RawBpf.ProgTypeSchedCls, RawBpf.EmitEightBytes(map, ringbuf: false, Low, High));
        var stored = new List<int>();
        var values = new List<ulong>();
        var lengths = new HashSet<int>();
        ulong lost = 0;
        using var reader = PerfEventArrayReader.Open(
            (cpu, fd) => { RawBpf.Update(map, (uint)cpu, (uint)fd.Value); stored.Add(cpu); },
            r => { lengths.Add(r.Length); values.Add(BinaryPrimitives.ReadUInt64LittleEndian(r)); },
            (_, n) => lost += n);
        using var poller = new RingPoller();
        poller.Add(reader);

        Assert.Equal(CpuList.OnlinePossible().Cpus, stored);
        Assert.Equal(stored, reader.Rings.Select(r => r.Cpu));
        RawBpf.TestRun(program, runs);   // 1000 × 24 bytes fits one CPU's 256 KiB ring
        int delivered = PollFor(poller, runs);

        Assert.Equal(0UL, lost);
        Assert.Equal(runs, delivered);
        Assert.All(values, v => Assert.Equal(Expected, v));
        // The kernel pads the raw data so that u32 size + data is a multiple of 8: 8 bytes arrive as 12.
        Assert.Equal([12], lengths);
    }

    [KernelFact]
    public void One_poller_serves_a_ring_buffer_and_a_perf_event_array_together()
    {
        using var rbMap = RawBpf.CreateMap(RawBpf.MapTypeRingbuf, 0, 0, 4096 * 16);
        using var pbMap = RawBpf.CreateMap(RawBpf.MapTypePerfEventArray, 4, 4, (uint)RawBpf.PossibleCpuCount());
        using var rbProgram = RawBpf.LoadProgram(RawBpf.ProgTypeSocketFilter, RawBpf.EmitEightBytes(rbMap, ringbuf: true, 1, 0));
        using var pbProgram = RawBpf.LoadProgram(RawBpf.ProgTypeSchedCls, RawBpf.EmitEightBytes(pbMap, ringbuf: false, 2, 0));
        int fromRb = 0, fromPb = 0;
        using var rb = new RingBufferReader(rbMap, 4096 * 16, r => fromRb += r[0] == 1 ? 1 : 1000);
        using var pb = PerfEventArrayReader.Open((cpu, fd) => RawBpf.Update(pbMap, (uint)cpu, (uint)fd.Value), r => fromPb += r[0] == 2 ? 1 : 1000);
        using var poller = new RingPoller();
        poller.Add(rb);
        poller.Add(pb);

        RawBpf.TestRun(rbProgram, 300);
        RawBpf.TestRun(pbProgram, 200);

        Assert.Equal(500, PollFor(poller, 500));
        Assert.Equal(300, fromRb);
        Assert.Equal(200, fromPb);
    }

    [KernelFact]
    public void A_perf_ring_with_a_watermark_keeps_records_below_it_for_DrainAll()
    {
        using var map = RawBpf.CreateMap(RawBpf.MapTypePerfEventArray, 4, 4, (uint)RawBpf.PossibleCpuCount());
        using var program = RawBpf.LoadProgram(RawBpf.ProgTypeSchedCls, RawBpf.EmitEightBytes(map, ringbuf: false, Low, High));
        int records = 0;
        using var reader = PerfEventArrayReader.Open(
            (cpu, fd) => RawBpf.Update(map, (uint)cpu, (uint)fd.Value),
            _ => records++,
            options: new PerfEventRingOptions { DataPages = 8, WakeupWatermarkBytes = 16 * 1024 });
        using var poller = new RingPoller();
        poller.Add(reader);

        RawBpf.TestRun(program, 10);   // 240 bytes: far below the watermark, no wakeup

        Assert.Equal(0, poller.Poll(50));
        Assert.Equal(10, reader.DrainAll());
        Assert.Equal(10, records);
    }
}
