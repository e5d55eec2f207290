using BpfLoader.Interop;
using BpfLoader.Kernel;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Programs;

/// <summary>What BPF_PROG_LOAD needs; the spec layer fills this from a relocated program.</summary>
public sealed class ProgramLoadOptions
{
    /// <summary>The program type.</summary>
    public required BpfProgramType Type { get; init; }
    /// <summary>expected_attach_type, for the types that need it (tp_btf, fentry, cgroup hooks, ...).</summary>
    public BpfAttachType ExpectedAttachType { get; init; }
    /// <summary>Up to 15 characters kept; characters outside [A-Za-z0-9_.] become '_'.</summary>
    public string? Name { get; init; }
    /// <summary>struct bpf_insn array, 8 bytes per instruction, map fds already in the ld_imm64 immediates.</summary>
    public required ReadOnlyMemory<byte> Instructions { get; init; }
    /// <summary>The "license" section; GPL-only helpers (and all tracing programs) need a GPL-compatible one.</summary>
    public string License { get; init; } = "GPL";
    /// <summary>kern_version, which kernels before 5.0 check for kprobe programs.</summary>
    public uint KernelVersion { get; init; }
    /// <summary>BPF_F_* load flags.</summary>
    public ProgramFlags Flags { get; init; }

    /// <summary>Program BTF; needed with func_info / line_info.</summary>
    public BtfHandle? Btf { get; init; }
    /// <summary>bpf_func_info records (by instruction index), or empty.</summary>
    public ReadOnlyMemory<byte> FuncInfo { get; init; }
    /// <summary>Bytes per func_info record.</summary>
    public uint FuncInfoRecordSize { get; init; }
    /// <summary>How many func_info records there are.</summary>
    public uint FuncInfoCount { get; init; }
    /// <summary>bpf_line_info records (by instruction index), or empty.</summary>
    public ReadOnlyMemory<byte> LineInfo { get; init; }
    /// <summary>Bytes per line_info record.</summary>
    public uint LineInfoRecordSize { get; init; }
    /// <summary>How many line_info records there are.</summary>
    public uint LineInfoCount { get; init; }

    /// <summary>For tp_btf/fentry/fexit: the BTF type id of the target in vmlinux (or in <see cref="AttachBtfObject"/>).</summary>
    public uint AttachBtfId { get; init; }
    /// <summary>A kernel module's BTF fd when the target is in a module; null for vmlinux.</summary>
    internal FileDescriptor? AttachBtfObject { get; init; }

    /// <summary>
    /// 0: load without a log, and only on failure load again with level 1 to explain it.
    /// 1 or 2: always load with a log (kept in <see cref="BpfProgram.VerifierLog"/>).
    /// </summary>
    public uint LogLevel { get; init; }
}
