using BpfLoader.Errors;
using BpfLoader.Interop;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;

namespace BpfLoader.Links;

/// <summary>
/// A BTF-attached program (tp_btf, fentry, fexit, fmod_ret, lsm): its target was fixed at load time by
/// attach_btf_id, so attaching names nothing. BPF_LINK_CREATE where the kernel supports it for the
/// attach type (fentry 5.13, tp_btf 6.10), else BPF_RAW_TRACEPOINT_OPEN with no name (5.5).
/// </summary>
public sealed class TracingLink : BpfLink
{
    /// <summary>True when made by BPF_LINK_CREATE, false when by the BPF_RAW_TRACEPOINT_OPEN fallback.</summary>
    public bool IsLinkCreate { get; }

    private TracingLink(FileDescriptor fd, bool isLinkCreate, string target) : base(fd, target) => IsLinkCreate = isLinkCreate;

    /// <summary>Attaches a tp_btf, fentry, fexit, fmod_ret or lsm <paramref name="program"/> to the kernel function or tracepoint it was loaded for.</summary>
    public static TracingLink Attach(BpfProgram program) => Attach(program, null);

    /// <summary>As <see cref="Attach(BpfProgram)"/>; <paramref name="attachTo"/> (the section's target) names the link and its errors.</summary>
    internal static TracingLink Attach(BpfProgram program, string? attachTo)
    {
        RequireType(program, "a BTF target", BpfProgramType.Tracing, BpfProgramType.Lsm);
        string target = $"{Describe(program.ExpectedAttachType)} {attachTo ?? program.Name}";
        int link = TryLinkCreate(program, 0, program.ExpectedAttachType);
        if (link >= 0)
            return new TracingLink(new FileDescriptor(link), isLinkCreate: true, target);
        // A BPF trampoline the architecture cannot make (arm64 gained the ftrace direct calls fentry, fexit
        // and lsm need after 6.1) is ENOTSUPP here and in the fallback alike: say so, not the fallback's error.
        if (link == -Errno.ENOTSUPP && program.ExpectedAttachType != BpfAttachType.TraceRawTp)
            throw new BpfSyscallException(BpfCommand.LinkCreate.Name(), Errno.ENOTSUPP,
                $"{program} to {target}: this kernel cannot attach a BPF trampoline there on this architecture");
        // Older kernels reject the attach type in BPF_LINK_CREATE with EINVAL; anything else is a real error.
        if (link != -Errno.EINVAL && link != -Errno.EOPNOTSUPP && link != -Errno.ENOTSUPP)
            throw new BpfSyscallException(BpfCommand.LinkCreate.Name(), -link, $"{program} to {target}");
        return new TracingLink(RawTracepointOpen(program, null, target), isLinkCreate: false, target);
    }

    private static string Describe(BpfAttachType type) => type switch
    {
        BpfAttachType.TraceRawTp => "tp_btf",
        BpfAttachType.TraceFentry => "fentry",
        BpfAttachType.TraceFexit => "fexit",
        BpfAttachType.ModifyReturn => "fmod_ret",
        BpfAttachType.LsmMac => "lsm",
        _ => type.ToString(),
    };
}
