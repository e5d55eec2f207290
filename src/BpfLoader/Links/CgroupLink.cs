using BpfLoader.Errors;
using BpfLoader.Interop;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;

namespace BpfLoader.Links;

/// <summary>
/// A cgroup program (cgroup_skb, sock_ops, cgroup/connect4 and the other cgroup hooks) on a cgroup v2
/// directory through a bpf_link (BPF_LINK_CREATE on the directory's fd, 5.7+). It applies to that
/// cgroup and every cgroup below it, alongside any other programs attached there.
/// </summary>
public sealed class CgroupLink : BpfLink
{
    private CgroupLink(FileDescriptor fd, string target) : base(fd, target) { }

    /// <summary>Attaches to the cgroup at this path.</summary>
    /// <param name="program">A cgroup program.</param>
    /// <param name="cgroupPath">A cgroup v2 directory, e.g. /sys/fs/cgroup/system.slice.</param>
    /// <param name="attachType">The hook; null takes the program's expected attach type (from its section name).</param>
    public static CgroupLink Attach(BpfProgram program, string cgroupPath, BpfAttachType? attachType = null)
    {
        RequireType(program, "a cgroup", BpfProgramType.CgroupSkb, BpfProgramType.CgroupSock, BpfProgramType.CgroupSockAddr,
            BpfProgramType.SockOps, BpfProgramType.CgroupDevice, BpfProgramType.CgroupSysctl, BpfProgramType.CgroupSockopt,
            BpfProgramType.Lsm);
        ArgumentException.ThrowIfNullOrEmpty(cgroupPath);
        BpfAttachType type = attachType ?? program.ExpectedAttachType;
        string target = $"cgroup {cgroupPath} ({type})";
        int dir = Libc.Open(cgroupPath, Libc.ORdOnly | Libc.OCloexec);
        if (dir < 0)
            throw new BpfSyscallException("open", Libc.Errno, $"cgroup {cgroupPath}");
        using var cgroup = new FileDescriptor(dir);
        return new CgroupLink(LinkCreate(program, cgroup.Value, type, target), target);
    }
}
