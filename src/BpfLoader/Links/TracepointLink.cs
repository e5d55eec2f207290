using BpfLoader.Errors;
using BpfLoader.Features;
using BpfLoader.Interop;
using BpfLoader.Kernel;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;

namespace BpfLoader.Links;

/// <summary>
/// A program on a classic tracepoint (tracefs events/CAT/NAME): a perf event for the tracepoint,
/// and the program bound to it by a perf link (5.15+) or by PERF_EVENT_IOC_SET_BPF before that.
/// </summary>
public sealed class TracepointLink : BpfLink
{
    /// <summary>The perf event of the tracepoint; with a perf link, the link keeps it referenced.</summary>
    internal FileDescriptor PerfEvent { get; }

    /// <summary>True when attached by BPF_LINK_CREATE(BPF_PERF_EVENT), false when by ioctl.</summary>
    public bool IsPerfLink { get; }

    private TracepointLink(FileDescriptor fd, FileDescriptor perfEvent, bool isPerfLink, string target)
        : base(fd, target)
    {
        PerfEvent = perfEvent;
        IsPerfLink = isPerfLink;
    }

    /// <summary>Attaches <paramref name="program"/> to the tracepoint <paramref name="category"/>:<paramref name="name"/> through a perf event (its id read from tracefs).</summary>
    public static TracepointLink Attach(BpfProgram program, string category, string name)
        => Attach(program, category, name, KernelFeatures.HasPerfLink);

    /// <summary>Attach with a chosen mechanism; tests use it to run the ioctl path on kernels that have perf links.</summary>
    internal static TracepointLink Attach(BpfProgram program, string category, string name, bool usePerfLink)
    {
        RequireType(program, "a tracepoint", BpfProgramType.Tracepoint);
        string target = $"tracepoint {category}:{name}";
        ulong id = Tracefs.GetTracepointId(category, name);
        FileDescriptor perf = OpenPerfEvent(id, target);
        try
        {
            FileDescriptor? link = BindToPerfEvent(program, perf, usePerfLink, target);
            return new TracepointLink(link ?? perf, perf, isPerfLink: link is not null, target);
        }
        catch
        {
            perf.Dispose();
            throw;
        }
    }

    /// <summary>Closes the BPF link, then the perf event it was attached through.</summary>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            PerfEvent.Dispose();
    }

    private static FileDescriptor OpenPerfEvent(ulong tracepointId, string target)
    {
        PerfEventAttr attr = PerfEventAttr.Tracepoint(tracepointId);
        // pid -1, cpu 0: a tracepoint's programs run for every hit on every CPU; one event is enough to hold them.
        int fd = Libc.PerfEventOpen(ref attr, -1, 0, -1, PerfEventAttr.PerfFlagFdCloexec);
        if (fd < 0)
            throw new BpfSyscallException("perf_event_open", Libc.Errno, target);
        return new FileDescriptor(fd);
    }
}
