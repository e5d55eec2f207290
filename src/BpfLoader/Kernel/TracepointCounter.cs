using BpfLoader.Errors;
using BpfLoader.Interop;

namespace BpfLoader.Kernel;

/// <summary>
/// The kernel's own tally of a tracepoint's hits: one perf counting event (no sampling, no program) per
/// online CPU. Programs on the same tracepoint can compare what they were called for against it: a hit
/// that never reached them (and that the kernel did not count as a recursion miss either) shows as a
/// difference. Do not use it on a tracepoint that also has classic (perf) BPF programs: when they
/// return 0 the kernel skips counting the hit.
/// </summary>
public sealed unsafe class TracepointCounter : IDisposable
{
    private readonly List<FileDescriptor> _events;

    private TracepointCounter(List<FileDescriptor> events) => _events = events;

    /// <summary>Starts counting hits of tracepoint <paramref name="category"/>:<paramref name="name"/> (tracefs events/CATEGORY/NAME).</summary>
    public static TracepointCounter Open(string category, string name)
    {
        ulong id = Tracefs.GetTracepointId(category, name);
        var events = new List<FileDescriptor>();
        try
        {
            foreach (int cpu in CpuList.OnlinePossible().Cpus)
            {
                PerfEventAttr attr = PerfEventAttr.Tracepoint(id);
                int fd = Libc.PerfEventOpen(ref attr, -1, cpu, -1, PerfEventAttr.PerfFlagFdCloexec);
                if (fd < 0)
                {
                    int errno = Libc.Errno;
                    if (errno == Errno.ENODEV)
                        continue;   // went offline since we read the list
                    throw new BpfSyscallException("perf_event_open", errno, $"tracepoint {category}:{name} counter on CPU {cpu}");
                }
                events.Add(new FileDescriptor(fd));
            }
        }
        catch
        {
            foreach (FileDescriptor e in events) e.Dispose();
            throw;
        }
        return new TracepointCounter(events);
    }

    /// <summary>Hits on all CPUs since <see cref="Open"/>.</summary>
    public ulong Read()
    {
        ulong total = 0;
        foreach (FileDescriptor e in _events)
        {
            using var lease = new FdLease(e);
            ulong count;
            if (Libc.Read((int)lease.Value, &count, sizeof(ulong)) != sizeof(ulong))
                throw new BpfSyscallException("read", Libc.Errno, "tracepoint counter");
            total += count;
        }
        return total;
    }

    /// <summary>Closes the perf events (one per CPU); their counts are gone with them.</summary>
    public void Dispose()
    {
        foreach (FileDescriptor e in _events) e.Dispose();
        _events.Clear();
    }
}
