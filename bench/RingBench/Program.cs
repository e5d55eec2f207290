// Run: dotnet run --project bench/RingBench -c Release [-- records [parts]]   (as root for part 3; parts: e.g. 1 or 12, default 123)
// Records per second one core consumes through each ring reader.
//   1. synthetic rings pre-filled once and read again and again (the reader's own cost);
//   2. synthetic rings with a producer thread writing into the same memory (cross-core traffic);
//   3. real kernel rings fed by a hand-assembled program through BPF_PROG_TEST_RUN (root only):
//      the kernel's own cost per bpf_ringbuf_output / bpf_perf_event_output, and end to end with epoll.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using BpfLoader.Interop;
using BpfLoader.Rings;
using BpfLoader.Tests.Rings;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
long records = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 10_000_000;
string parts = args.Length > 1 ? args[1] : "123";
long kernelRecords = Math.Min(records, 2_000_000);
const int EventSize = 96;
const int RingBytes = 256 * 1024;
Console.WriteLine($"RingBench: {records:N0} records of {EventSize} bytes, rings of {RingBytes / 1024} KiB, {Environment.ProcessorCount} CPUs");

if (parts.Contains('1', StringComparison.Ordinal))
{
    Console.WriteLine();
    Console.WriteLine("1. pre-filled synthetic ring, read again and again (reader cost only)");
    Prefilled.Perf(records);
    Prefilled.RingBuffer(records, releaseEachRecord: false);
    Prefilled.RingBuffer(records, releaseEachRecord: true);
    Prefilled.Merged(records);
    Prefilled.MergedInterleaved(records);
}

if (parts.Contains('2', StringComparison.Ordinal))
{
    Console.WriteLine();
    Console.WriteLine("2. synthetic ring, producer thread writing while the consumer reads (busy polling, no epoll)");
    Concurrent.Perf(records);
    Concurrent.RingBuffer(records, releaseEachRecord: false);
    Concurrent.RingBuffer(records, releaseEachRecord: true);
}

if (!parts.Contains('3', StringComparison.Ordinal))
    return;
Console.WriteLine();
if (Environment.UserName != "root")
{
    Console.WriteLine("3. kernel: skipped (needs root)");
    return;
}
Console.WriteLine($"3. kernel: a program emitting {EventSize}-byte records, run by BPF_PROG_TEST_RUN, read through RingPoller");
Kernel.CostPerOutput();
Kernel.EndToEnd(kernelRecords, "ring buffer", ringbuf: true, options: null);
Kernel.EndToEnd(kernelRecords, "perf, wakeup every record", ringbuf: false, new PerfEventRingOptions { DataPages = RingBytes / 4096, WakeupEvents = 1 });
Kernel.EndToEnd(kernelRecords, "perf, wakeup every 64 records", ringbuf: false, new PerfEventRingOptions { DataPages = RingBytes / 4096, WakeupEvents = 64 });
Kernel.EndToEnd(kernelRecords, "perf, watermark 64 KiB", ringbuf: false, new PerfEventRingOptions { DataPages = RingBytes / 4096, WakeupWatermarkBytes = 64 * 1024 });

internal static class Report
{
    public static long Sink;

    /// <summary>What a consumer does at least: look at the record.</summary>
    public static void Consume(ReadOnlySpan<byte> record) => Sink += (long)MemoryMarshal.Read<ulong>(record) + record.Length;

    public static void Line(string name, long count, TimeSpan elapsed, string extra = "")
    {
        double perSecond = count / elapsed.TotalSeconds;
        Console.WriteLine($"  {name,-44} {perSecond / 1e6,8:F2} M records/s  {1e9 / perSecond,7:F1} ns/record  {extra}");
    }
}

internal static class Prefilled
{
    public static void Perf(long records)
    {
        using var ring = new SyntheticPerfRing(256 * 1024, startPosition: 256 * 1024 - 40);
        ulong start = ring.Tail;
        byte[] payload = NumberedPayload.Make(1, 96);
        while (ring.TryWriteSample(payload)) { }
        ring.Publish();
        RecordHandler onRecord = Report.Consume;
        Run("perf ring", records, () => { ring.Rewind(start); return ring.Cursor.Drain(onRecord, null); });
    }

    public static void RingBuffer(long records, bool releaseEachRecord)
    {
        using var ring = new SyntheticRingBuffer(256 * 1024, startPosition: 256 * 1024 - 40, releaseEachRecord);
        ulong start = ring.Consumer;
        byte[] payload = NumberedPayload.Make(1, 96);
        while (ring.TryWrite(payload)) { }
        RecordHandler onRecord = Report.Consume;
        Run($"ring buffer, release per {(releaseEachRecord ? "record" : "batch")}", records, () => { ring.Rewind(start); return ring.Cursor.Drain(onRecord); });
    }

    /// <summary>Two rings with records alternating by time, and a third one empty (per-CPU rings and the shared one).</summary>
    public static void Merged(long records)
    {
        using var first = new SyntheticRingBuffer(256 * 1024, startPosition: 256 * 1024 - 40);
        using var second = new SyntheticRingBuffer(256 * 1024);
        using var shared = new SyntheticRingBuffer(256 * 1024);
        ulong firstStart = first.Consumer, secondStart = second.Consumer, time = 0;
        byte[] payload = NumberedPayload.Make(1, 96);
        for (bool more = true; more; )
        {
            BitConverter.TryWriteBytes(payload.AsSpan(8), ++time);
            more = (time % 2 == 0 ? second : first).TryWrite(payload);
        }
        var merge = new MergedRingBufferReader([first.Cursor, second.Cursor, shared.Cursor], 2, 8, Report.Consume, () => ulong.MaxValue);
        Run("merged ring buffers (2 + 1 empty)", records, () => { first.Rewind(firstStart); second.Rewind(secondStart); return merge.DrainAll(); });
    }

    /// <summary>Three rings, each record in one chosen at random (runs of any length), one in eight stamped a little
    /// early, often before the record ahead of it in its ring (a nested program's), as the tool's rings under load.</summary>
    public static void MergedInterleaved(long records)
    {
        using var first = new SyntheticRingBuffer(256 * 1024, startPosition: 256 * 1024 - 40);
        using var second = new SyntheticRingBuffer(256 * 1024);
        using var shared = new SyntheticRingBuffer(256 * 1024);
        SyntheticRingBuffer[] rings = [first, second, shared];
        ulong[] starts = [.. rings.Select(r => r.Consumer)];
        var random = new Random(1);
        byte[] payload = NumberedPayload.Make(1, 96);
        for (ulong time = 10; ; time += 4)
        {
            BitConverter.TryWriteBytes(payload.AsSpan(8), random.Next(8) == 0 ? time - 10 : time);
            if (!rings[random.Next(3)].TryWrite(payload))
                break;
        }
        var merge = new MergedRingBufferReader([first.Cursor, second.Cursor, shared.Cursor], 2, 8, Report.Consume, () => ulong.MaxValue);
        Run("merged ring buffers (3, interleaved)", records, () =>
        {
            for (int i = 0; i < rings.Length; i++)
                rings[i].Rewind(starts[i]);
            return merge.DrainAll();
        });
    }

    private static void Run(string name, long records, Func<int> pass)
    {
        for (int i = 0; i < 200; i++)
            pass();   // JIT tiers
        long done = 0;
        var sw = Stopwatch.StartNew();
        while (done < records)
            done += pass();
        Report.Line(name, done, sw.Elapsed);
    }
}

internal static class Concurrent
{
    public static void Perf(long records)
    {
        using var ring = new SyntheticPerfRing(256 * 1024);
        RecordHandler onRecord = Report.Consume;
        Run("perf ring", records,
            produce: payload => { if (!ring.TryWriteSample(payload)) return false; ring.Publish(); return true; },
            consume: () => ring.Cursor.Drain(onRecord, null));
    }

    public static void RingBuffer(long records, bool releaseEachRecord)
    {
        using var ring = new SyntheticRingBuffer(256 * 1024, releaseEachRecord: releaseEachRecord);
        RecordHandler onRecord = Report.Consume;
        Run($"ring buffer, release per {(releaseEachRecord ? "record" : "batch")}", records,
            produce: ring.TryWrite,
            consume: () => ring.Cursor.Drain(onRecord));
    }

    private delegate bool Producer(ReadOnlySpan<byte> payload);

    private static void Run(string name, long records, Producer produce, Func<int> consume)
    {
        long full = 0, empty = 0;
        var producer = new Thread(() =>
        {
            byte[] payload = NumberedPayload.Make(1, 96);
            for (long i = 0; i < records;)
            {
                if (produce(payload))
                    i++;
                else
                    full++;
            }
        });
        var sw = Stopwatch.StartNew();
        producer.Start();
        long done = 0;
        while (done < records)
        {
            int n = consume();
            if (n == 0)
                empty++;
            done += n;
        }
        producer.Join();
        Report.Line(name, done, sw.Elapsed, $"(producer found the ring full {full:N0}×, consumer found it empty {empty:N0}×)");
    }
}

internal static class Kernel
{
    private const int Words = 96 / 4;
    private const int RingBytes = 256 * 1024;

    private static int[] Payload() => [.. Enumerable.Range(0, Words)];

    /// <summary>The kernel's ns per run with and without the output helper, consumer draining meanwhile.</summary>
    public static void CostPerOutput()
    {
        using var rbMap = RawBpf.CreateMap(RawBpf.MapTypeRingbuf, 0, 0, RingBytes);
        using var pbMap = RawBpf.CreateMap(RawBpf.MapTypePerfEventArray, 4, 4, (uint)RawBpf.PossibleCpuCount());
        ulong[] withRb = RawBpf.Emit(rbMap, ringbuf: true, Payload());
        ulong[] withPb = RawBpf.Emit(pbMap, ringbuf: false, Payload());
        // The same stores without the helper call: what the program costs by itself.
        ulong[] baseline = [.. withRb.Take(1 + Words), RawBpf.MovImm64(0, 0), RawBpf.Exit()];
        using var rbProgram = RawBpf.LoadProgram(RawBpf.ProgTypeSocketFilter, withRb);
        using var pbProgram = RawBpf.LoadProgram(RawBpf.ProgTypeSchedCls, withPb);
        using var baseProgram = RawBpf.LoadProgram(RawBpf.ProgTypeSocketFilter, baseline);

        using var rb = new RingBufferReader(rbMap, RingBytes, Report.Consume);
        using var pb = PerfEventArrayReader.Open((cpu, fd) => RawBpf.Update(pbMap, (uint)cpu, (uint)fd.Value), Report.Consume,
            options: new PerfEventRingOptions { DataPages = RingBytes / 4096, WakeupWatermarkBytes = RingBytes / 4 });
        using var poller = new RingPoller();
        poller.Add(rb);
        poller.Add(pb);
        bool stop = false;
        var consumer = new Thread(() => { while (!Volatile.Read(ref stop)) poller.Poll(-1); });
        consumer.Start();

        uint Best(FileDescriptor program)
        {
            uint best = uint.MaxValue;
            for (int i = 0; i < 20; i++)
            {
                RawBpf.TestRun(program, 1000, out uint ns);   // 1000 × 104 bytes: the ring never fills
                best = Math.Min(best, ns);
            }
            return best;
        }
        uint nsBase = Best(baseProgram), nsRb = Best(rbProgram), nsPb = Best(pbProgram);
        Volatile.Write(ref stop, true);
        poller.Wake();
        consumer.Join();

        Console.WriteLine($"  kernel ns per run (best of 20 × 1000): program alone {nsBase}, with bpf_ringbuf_output {nsRb}, with bpf_perf_event_output {nsPb}");
        Console.WriteLine($"  => one core could produce at most ~{1e3 / Math.Max(1, nsRb - nsBase):F1} M/s through the ring buffer, ~{1e3 / Math.Max(1, nsPb - nsBase):F1} M/s through perf (helper cost alone)");
    }

    public static void EndToEnd(long records, string name, bool ringbuf, PerfEventRingOptions? options)
    {
        const uint batch = 1000;
        long delivered = 0, polls = 0;
        ulong lost = 0;
        RecordHandler onRecord = r => { Report.Consume(r); delivered++; };

        using var map = ringbuf
            ? RawBpf.CreateMap(RawBpf.MapTypeRingbuf, 0, 0, RingBytes)
            : RawBpf.CreateMap(RawBpf.MapTypePerfEventArray, 4, 4, (uint)RawBpf.PossibleCpuCount());
        using var program = RawBpf.LoadProgram(ringbuf ? RawBpf.ProgTypeSocketFilter : RawBpf.ProgTypeSchedCls, RawBpf.Emit(map, ringbuf, Payload()));
        using RingReader reader = ringbuf
            ? new RingBufferReader(map, RingBytes, onRecord)
            : PerfEventArrayReader.Open((cpu, fd) => RawBpf.Update(map, (uint)cpu, (uint)fd.Value), onRecord, (_, n) => lost += n, options);
        using var poller = new RingPoller();
        poller.Add(reader);

        bool stop = false;
        var consumer = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                poller.Poll(-1);
                polls++;
            }
            reader.DrainAll();   // what a watermark left behind
        });
        consumer.Start();
        var sw = Stopwatch.StartNew();
        for (long emitted = 0; emitted < records; emitted += batch)
            RawBpf.TestRun(program, batch);
        TimeSpan producing = sw.Elapsed;
        Volatile.Write(ref stop, true);
        poller.Wake();
        consumer.Join();
        TimeSpan elapsed = sw.Elapsed;

        long emittedTotal = (records + batch - 1) / batch * batch;
        string dropped = ringbuf ? $"dropped (ring full) {emittedTotal - delivered:N0}" : $"lost {lost:N0}";
        Report.Line(name, delivered, elapsed,
            $"({emittedTotal:N0} emitted in {producing.TotalMilliseconds:F0} ms, {dropped}, {polls:N0} wakeups)");
    }
}
