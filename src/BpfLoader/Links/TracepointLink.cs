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
public sealed class TracepointLink : PerfEventBoundLink
{
    private TracepointLink(FileDescriptor perfEvent, FileDescriptor? link, string target)
        : base(perfEvent, link, target)
    {
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
        return Bind(program, OpenPerfEvent(id, target), usePerfLink, target, (perf, link) => new TracepointLink(perf, link, target));
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
