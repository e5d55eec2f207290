using BpfLoader.Errors;
using BpfLoader.Interop;

namespace BpfLoader.Rings;

/// <summary>
/// One CPU's perf event (PERF_COUNT_SW_BPF_OUTPUT) and its mmap'd ring: a control page, then
/// 2^n data pages. bpf_perf_event_output on that CPU writes PERF_RECORD_SAMPLE records here.
/// </summary>
public sealed unsafe class PerfEventRing : IDisposable
{
    private readonly MemoryMapping _mapping;
    private readonly PerfRingCursor _cursor;

    /// <summary>The CPU this ring belongs to.</summary>
    public int Cpu => _cursor.Cpu;

    /// <summary>The perf event; the glue stores it in the perf event array map at index <see cref="Cpu"/>.</summary>
    internal FileDescriptor Fd { get; }

    internal PerfRingCursor Cursor => _cursor;

    private PerfEventRing(FileDescriptor fd, MemoryMapping mapping, int cpu)
    {
        Fd = fd;
        _mapping = mapping;
        byte* control = mapping.Address;
        // data_offset/data_size are filled in since 4.1; before, data started at the second page.
        ulong dataOffset = *(ulong*)(control + PerfRingCursor.DataOffsetOffset);
        ulong dataSize = *(ulong*)(control + PerfRingCursor.DataSizeOffset);
        if (dataOffset == 0 || dataSize == 0)
        {
            dataOffset = (ulong)Libc.PageSize;
            dataSize = mapping.Length - (ulong)Libc.PageSize;
        }
        _cursor = new PerfRingCursor(control, control + dataOffset, dataSize, cpu);
    }

    /// <summary>
    /// Opens the BPF output event of <paramref name="cpu"/> and maps its ring; null when the CPU
    /// has no such event (ENODEV: offline or absent).
    /// </summary>
    public static PerfEventRing? OpenBpfOutput(int cpu, PerfEventRingOptions? options = null)
    {
        options ??= PerfEventRingOptions.Default;
        options.Validate();
        var attr = new PerfEventAttr
        {
            Type = PerfEventAttr.TypeSoftware,
            Size = PerfEventAttr.SizeVer8,
            Config = PerfEventAttr.SwBpfOutput,
            SamplePeriod = 1,   // every bpf_perf_event_output is a sample
            SampleType = PerfEventAttr.SampleRaw,
        };
        if (options.WakeupWatermarkBytes != 0)
        {
            attr.Flags |= PerfEventAttr.FlagWatermark;
            attr.WakeupEvents = options.WakeupWatermarkBytes;   // the union's wakeup_watermark
        }
        else
        {
            attr.WakeupEvents = options.WakeupEvents;
        }
        return Open(ref attr, pid: -1, cpu, options.DataPages, skipMissingCpu: true);
    }

    /// <summary>Opens any perf event and maps a ring of <paramref name="dataPages"/>; tests use it with events the kernel makes on its own.</summary>
    internal static PerfEventRing? Open(ref PerfEventAttr attr, int pid, int cpu, int dataPages, bool skipMissingCpu)
    {
        int raw = Libc.PerfEventOpen(ref attr, pid, cpu, groupFd: -1, PerfEventAttr.PerfFlagFdCloexec);
        if (raw < 0)
        {
            int errno = Libc.Errno;
            if (errno == Errno.ENODEV && skipMissingCpu)
                return null;
            throw new BpfSyscallException("perf_event_open", errno, $"type {attr.Type} config {attr.Config} on CPU {cpu}");
        }
        var fd = new FileDescriptor(raw);
        try
        {
            nuint length = (nuint)(1 + dataPages) * (nuint)Libc.PageSize;
            // Read-write: writing data_tail tells the kernel what it must not overwrite.
            var mapping = MemoryMapping.Share(fd, length, Libc.ProtRead | Libc.ProtWrite, 0, $"perf ring of CPU {cpu}");
            var ring = new PerfEventRing(fd, mapping, cpu);
            if (Libc.Ioctl(fd.Value, PerfEventAttr.IocEnable, 0) != 0)
            {
                int errno = Libc.Errno;
                ring.Dispose();
                throw new BpfSyscallException("PERF_EVENT_IOC_ENABLE", errno, $"CPU {cpu}");
            }
            return ring;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Delivers the samples waiting in this ring; returns how many.</summary>
    public int Drain(RecordHandler onRecord, LostRecordsHandler? onLost) => _cursor.Drain(onRecord, onLost);

    /// <summary>Unmaps the ring and closes its perf event.</summary>
    public void Dispose()
    {
        _mapping.Dispose();
        Fd.Dispose();
    }
}
