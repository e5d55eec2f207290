namespace BpfLoader.Spec;

/// <summary>What a program's ELF section name says: its program type, expected attach type and attach target.</summary>
public readonly record struct ProgramSection(BpfProgramType Type, BpfAttachType? AttachType, string? AttachTo)
{
    /// <summary>
    /// <c>tracepoint/CAT/NAME</c>, <c>tp/CAT/NAME</c>, <c>raw_tracepoint/NAME</c>, <c>raw_tp/NAME</c>,
    /// <c>tp_btf/NAME</c>, <c>kprobe/FN</c>, <c>kretprobe/FN</c>, <c>fentry/FN</c>, <c>fexit/FN</c>,
    /// and the bare <c>socket</c>, <c>xdp</c>, <c>tc</c>.
    /// </summary>
    public static bool TryParse(string section, out ProgramSection result)
    {
        ArgumentNullException.ThrowIfNull(section);
        int slash = section.IndexOf('/', StringComparison.Ordinal);
        string prefix = slash < 0 ? section : section[..slash];
        string? target = slash < 0 ? null : section[(slash + 1)..];
        result = prefix switch
        {
            "tracepoint" or "tp" when IsTracepoint(target) => new(BpfProgramType.Tracepoint, null, target),
            "raw_tracepoint" or "raw_tp" when !string.IsNullOrEmpty(target) => new(BpfProgramType.RawTracepoint, null, target),
            "tp_btf" when !string.IsNullOrEmpty(target) => new(BpfProgramType.Tracing, BpfAttachType.TraceRawTp, target),
            "fentry" when !string.IsNullOrEmpty(target) => new(BpfProgramType.Tracing, BpfAttachType.TraceFentry, target),
            "fexit" when !string.IsNullOrEmpty(target) => new(BpfProgramType.Tracing, BpfAttachType.TraceFexit, target),
            "kprobe" when !string.IsNullOrEmpty(target) => new(BpfProgramType.Kprobe, null, target),
            "kretprobe" when !string.IsNullOrEmpty(target) => new(BpfProgramType.Kprobe, null, target) { IsReturnProbe = true },
            "socket" when target is null => new(BpfProgramType.SocketFilter, null, null),
            "xdp" when target is null => new(BpfProgramType.Xdp, null, null),
            "tc" when target is null => new(BpfProgramType.SchedCls, null, null),
            _ => default,
        };
        return result.Type != BpfProgramType.Unspec;
    }

    /// <summary>What a section name says of its program, or a <see cref="BpfObjectException"/> when it names no known type.</summary>
    public static ProgramSection Parse(string section) =>
        TryParse(section, out ProgramSection result) ? result : throw new BpfObjectException($"section '{section}' names no program type this loader knows");

    /// <summary>True for kretprobe/ and uretprobe/ sections.</summary>
    public bool IsReturnProbe { get; init; }

    private static bool IsTracepoint(string? target)
    {
        if (string.IsNullOrEmpty(target)) return false;
        int slash = target.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && slash < target.Length - 1 && target.IndexOf('/', slash + 1) < 0;
    }
}
