using BpfLoader.Object.Uapi;
using BpfLoader.Programs;

namespace BpfLoader.Links;

/// <summary>A raw tracepoint program attached by name (BPF_RAW_TRACEPOINT_OPEN), e.g. "sys_enter".</summary>
public sealed class RawTracepointLink : BpfLink
{
    private RawTracepointLink(Interop.FileDescriptor fd, string target) : base(fd, target) { }

    /// <summary>Attaches <paramref name="program"/> to the raw tracepoint <paramref name="name"/> (BPF_RAW_TRACEPOINT_OPEN).</summary>
    public static RawTracepointLink Attach(BpfProgram program, string name)
    {
        RequireType(program, "a raw tracepoint", BpfProgramType.RawTracepoint, BpfProgramType.RawTracepointWritable);
        ArgumentException.ThrowIfNullOrEmpty(name);
        string target = $"raw_tracepoint {name}";
        return new RawTracepointLink(RawTracepointOpen(program, name, target), target);
    }
}
