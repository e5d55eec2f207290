namespace BpfLoader.Tracing;

/// <summary>How a <see cref="TracepointAttachment"/> reached its tracepoint.</summary>
public enum TracepointAttachKind
{
    /// <summary>tp_btf: a BTF-typed raw tracepoint (Linux 5.5 with BTF), the arguments read with plain loads.</summary>
    TpBtf,

    /// <summary>The classic tracepoint (tracepoint/CATEGORY/NAME), reached through perf; every kernel with BPF has it.</summary>
    Tracepoint,
}
