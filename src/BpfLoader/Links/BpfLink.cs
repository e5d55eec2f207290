using BpfLoader.Errors;
using BpfLoader.Interop;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;
using Microsoft.Win32.SafeHandles;

namespace BpfLoader.Links;

/// <summary>
/// A program attached to a kernel hook. The attachment lives as long as <see cref="Fd"/>: disposing
/// (or the process dying) detaches, unless the link was pinned (<see cref="Pin"/>), which keeps it in
/// the kernel until the pin is removed.
/// </summary>
public abstract class BpfLink : IDisposable
{
    /// <summary>The fd whose close detaches: a bpf_link, or the perf event on kernels without perf links.</summary>
    internal FileDescriptor Fd { get; }

    /// <summary>
    /// A new fd for this link, owned by the caller, for code outside this library that needs the kernel
    /// object itself (another process over SCM_RIGHTS, another BPF library). Disposing this link does not
    /// close it, nor does closing it dispose this link; the link lives while either is open.
    /// </summary>
    public SafeFileHandle DuplicateHandle() => Fd.DuplicateAsSafeFileHandle();

    /// <summary>What the program is attached to, e.g. "tracepoint sock:inet_sock_set_state".</summary>
    public string Target { get; }

    /// <summary>Takes ownership of a link (or perf event) fd.</summary>
    /// <param name="fd">The fd whose close detaches.</param>
    /// <param name="target">What the program is attached to, for messages.</param>
    private protected BpfLink(FileDescriptor fd, string target)
    {
        Fd = fd;
        Target = target;
    }

    /// <summary>
    /// BPF_OBJ_PIN: pins the link at a path on a bpffs, so that it (and its attachment) outlives this
    /// process; <see cref="Pinning.BpfPins.Unpin"/> removes the pin. Links made through a perf event
    /// ioctl rather than a bpf_link cannot be pinned (the kernel answers EINVAL).
    /// </summary>
    /// <param name="path">A path on a mounted bpffs, e.g. /sys/fs/bpf/my_link.</param>
    public void Pin(string path) => ObjectPins.Pin(Fd, path, ToString());

    /// <summary>BPF_OBJ_GET_INFO_BY_FD: the link's id, kind and program.</summary>
    public BpfLinkInfo GetInfo()
    {
        LinkInfo info = default;
        ObjectInfo.Get(Fd, ref info, ToString());
        return new BpfLinkInfo(info.Id, info.Type, info.ProgId);
    }

    /// <summary>Closes the fd: detaches, unless the link is pinned.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Closes the fd (and whatever else a subclass holds).</summary>
    /// <param name="disposing">False from a finalizer.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
            Fd.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Target} ({Fd})";

    internal static void RequireType(BpfProgram program, string hook, params BpfProgramType[] types)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (Array.IndexOf(types, program.Type) < 0)
            throw new ArgumentException($"{program} cannot attach to {hook}: needs a {string.Join(" or ", types)} program", nameof(program));
    }

    /// <summary>BPF_LINK_CREATE; returns the link fd or -errno.</summary>
    internal static int TryLinkCreate(BpfProgram program, int targetFd, BpfAttachType attachType, uint flags = 0)
    {
        using var lease = new FdLease(program.Fd);
        var attr = new LinkCreateAttr { ProgFd = lease.Value, TargetFd = (uint)targetFd, BpfAttachType = (uint)attachType, Flags = flags };
        return BpfSyscall.TryInvoke(BpfCommand.LinkCreate, ref attr);
    }

    /// <summary>BPF_LINK_CREATE; the link fd, or a <see cref="BpfSyscallException"/> naming program and target.</summary>
    internal static FileDescriptor LinkCreate(BpfProgram program, int targetFd, BpfAttachType attachType, string target, uint flags = 0)
    {
        int fd = TryLinkCreate(program, targetFd, attachType, flags);
        if (fd < 0)
            throw new BpfSyscallException(BpfCommand.LinkCreate.Name(), -fd, $"{program} to {target}");
        return new FileDescriptor(fd);
    }

    /// <summary>The index of a network interface in the calling thread's network namespace.</summary>
    internal static int InterfaceIndex(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        uint index = Libc.IfNameToIndex(name);
        if (index == 0)
            throw new BpfSyscallException("if_nametoindex", Libc.Errno, $"interface '{name}'");
        return (int)index;
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
