using BpfLoader.Interop;
using BpfLoader.Programs;

namespace BpfLoader.Links;

/// <summary>
/// A program attached to a kernel hook. The attachment lives exactly as long as <see cref="Fd"/>:
/// disposing (or the process dying) detaches, and nothing is ever pinned.
/// </summary>
public abstract class BpfLink : IDisposable
{
    /// <summary>The fd whose close detaches: a bpf_link, or the perf event on kernels without perf links.</summary>
    public FileDescriptor Fd { get; }

    /// <summary>What the program is attached to, e.g. "tracepoint sock:inet_sock_set_state".</summary>
    public string Target { get; }

    /// <summary>A link that owns <paramref name="fd"/>, attached to <paramref name="target"/> (for messages).</summary>
    protected BpfLink(FileDescriptor fd, string target)
    {
        Fd = fd;
        Target = target;
    }

    /// <summary>Detaches the program: closes the link's fd.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Closes the fd when <paramref name="disposing"/>; a subclass closes what it holds besides.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
            Fd.Dispose();
    }

    /// <summary>The attach target and the fd, for messages.</summary>
    public override string ToString() => $"{Target} ({Fd})";

    internal static void RequireType(BpfProgram program, string hook, params BpfProgramType[] types)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (Array.IndexOf(types, program.Type) < 0)
            throw new ArgumentException($"{program} cannot attach to {hook}: needs a {string.Join(" or ", types)} program", nameof(program));
    }

    /// <summary>BPF_LINK_CREATE; returns the link fd or -errno.</summary>
    internal static int TryLinkCreate(BpfProgram program, int targetFd, BpfAttachType attachType)
    {
        using var lease = new FdLease(program.Fd);
        var attr = new LinkCreateAttr { ProgFd = lease.Value, TargetFd = (uint)targetFd, BpfAttachType = (uint)attachType };
        return BpfSyscall.TryInvoke(BpfCommand.LinkCreate, ref attr);
    }

    /// <summary>BPF_RAW_TRACEPOINT_OPEN with a name, or with none for BTF-attached programs.</summary>
    internal static unsafe FileDescriptor RawTracepointOpen(BpfProgram program, string? name, string target)
    {
        Span<byte> nameBytes = stackalloc byte[name is null ? 0 : System.Text.Encoding.UTF8.GetByteCount(name) + 1];
        if (name is not null)
        {
            System.Text.Encoding.UTF8.GetBytes(name, nameBytes);
            nameBytes[^1] = 0;
        }
        using var lease = new FdLease(program.Fd);
        fixed (byte* namePtr = nameBytes)
        {
            var attr = new RawTracepointOpenAttr { Name = (ulong)namePtr, ProgFd = lease.Value };
            return BpfSyscall.InvokeForFd(BpfCommand.RawTracepointOpen, ref attr, $"{program} to {target}");
        }
    }
}
