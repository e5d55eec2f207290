using BpfLoader.Errors;
using BpfLoader.Interop;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;

namespace BpfLoader.Links;

/// <summary>
/// A program attached through a perf event (a classic tracepoint, a kprobe or uprobe, a software event): bound to
/// the event by a perf link (BPF_LINK_CREATE with BPF_PERF_EVENT, 5.15+) or by PERF_EVENT_IOC_SET_BPF before that,
/// then enabled. The event is closed with the link.
/// </summary>
public abstract class PerfEventBoundLink : BpfLink
{
    /// <summary>The perf event; with a perf link, the link keeps it referenced too.</summary>
    internal FileDescriptor PerfEvent { get; }

    /// <summary>True when attached by BPF_LINK_CREATE(BPF_PERF_EVENT), false when by ioctl.</summary>
    public bool IsPerfLink { get; }

    private protected PerfEventBoundLink(FileDescriptor perfEvent, FileDescriptor? link, string target)
        : base(link ?? perfEvent, target)
    {
        PerfEvent = perfEvent;
        IsPerfLink = link is not null;
    }

    /// <summary>
    /// Binds <paramref name="program"/> to the perf event <paramref name="perf"/>, which it takes over (closed
    /// on failure), and makes the link with <paramref name="create"/> (the event, and the perf link or null).
    /// </summary>
    private protected static TLink Bind<TLink>(BpfProgram program, FileDescriptor perf, bool usePerfLink, string target,
        Func<FileDescriptor, FileDescriptor?, TLink> create) where TLink : PerfEventBoundLink
    {
        try
        {
            return create(perf, BindToPerfEvent(program, perf, usePerfLink, target));
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

    /// <summary>
    /// Binds <paramref name="program"/> to the perf event <paramref name="perf"/> and enables it: by a perf link
    /// (5.15+; returned, the caller owns it) or by PERF_EVENT_IOC_SET_BPF before that (null). On failure the link,
    /// if made, is closed; <paramref name="perf"/> stays the caller's.
    /// </summary>
    private static FileDescriptor? BindToPerfEvent(BpfProgram program, FileDescriptor perf, bool usePerfLink, string target)
    {
        FileDescriptor? link = null;
        try
        {
            if (usePerfLink)
            {
                link = LinkCreate(program, perf.Value, BpfAttachType.PerfEvent, target);
            }
            else
            {
                using var lease = new FdLease(program.Fd);
                PerfIoctl(perf, PerfEventAttr.IocSetBpf, (nint)lease.Value, "PERF_EVENT_IOC_SET_BPF", target);
            }
            PerfIoctl(perf, PerfEventAttr.IocEnable, 0, "PERF_EVENT_IOC_ENABLE", target);
            return link;
        }
        catch
        {
            link?.Dispose();
            throw;
        }
    }

    private static void PerfIoctl(FileDescriptor fd, ulong request, nint arg, string operation, string target)
    {
        using var lease = new FdLease(fd);
        if (Libc.Ioctl((int)lease.Value, request, arg) != 0)
            throw new BpfSyscallException(operation, Libc.Errno, target);
    }
}
