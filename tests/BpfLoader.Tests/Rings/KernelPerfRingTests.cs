using BpfLoader.Interop;
using BpfLoader.Rings;
using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Rings;

/// <summary>The real perf mmap path, with events the kernel produces without any BPF program.</summary>
public class KernelPerfRingTests
{
    private const ulong SwTaskClock = 1;   // PERF_COUNT_SW_TASK_CLOCK

    /// <summary>
    /// Samples this thread's CPU time every <paramref name="periodNs"/>; with PERF_SAMPLE_RAW and no
    /// raw data the kernel writes a 4-byte raw of zeros, so each sample is a 16-byte record.
    /// </summary>
    private static PerfEventRing OpenTaskClock(ulong periodNs, int dataPages)
    {
        var attr = new PerfEventAttr
        {
            Type = PerfEventAttr.TypeSoftware,
            Size = PerfEventAttr.SizeVer8,
            Config = SwTaskClock,
            SamplePeriod = periodNs,
            SampleType = PerfEventAttr.SampleRaw,
            WakeupEvents = 1,
            Flags = PerfEventAttr.FlagDisabled,
        };
        return PerfEventRing.Open(ref attr, pid: 0, cpu: -1, dataPages, skipMissingCpu: false)!;
    }

    /// <summary>Fixed work: task clock counts this thread's CPU time, not wall time, so a busy machine only slows it.</summary>
    private static void Burn(long iterations)
    {
        ulong x = 1;
        for (long i = 0; i < iterations; i++)
            x = x * 6364136223846793005 + 1442695040888963407;
        GC.KeepAlive(x);
    }

    [KernelFact]
    public void Samples_written_by_the_kernel_arrive_through_the_mmap()
    {
        using PerfEventRing ring = OpenTaskClock(periodNs: 100_000, dataPages: 64);
        var sizes = new List<int>();
        int total = 0;
        Burn(20_000_000);
        Assert.Equal(0, Libc.Ioctl(ring.Fd.Value, PerfEventAttr.IocDisable, 0));   // no more samples while we check
        total += ring.Drain(r => sizes.Add(r.Length), null);

        Assert.True(total > 0, "no sample arrived");
        Assert.Equal(total, sizes.Count);
        Assert.True(sizes.All(s => s == 4), string.Join(",", sizes.Take(20)));
        Assert.Equal(0UL, ring.Cursor.Pending);
    }

    [KernelFact]
    public void A_full_ring_yields_a_lost_count_from_the_kernel()
    {
        using PerfEventRing ring = OpenTaskClock(periodNs: 100_000, dataPages: 1);
        ulong lost = 0;
        int samples = 0;
        // 4096 bytes hold 256 samples (25.6 ms of CPU at one per 100 µs); this burns several times that before reading.
        Burn(100_000_000);
        samples += ring.Drain(_ => { }, (_, n) => lost += n);
        // The kernel writes the LOST record with the first sample that fits after we made room.
        Burn(20_000_000);
        samples += ring.Drain(_ => { }, (_, n) => lost += n);

        Assert.True(samples > 0);
        Assert.True(lost > 0, $"{samples} samples, nothing lost");
        Assert.True(samples <= 256 * 2, $"{samples} samples through a ring of 256");
    }
}
