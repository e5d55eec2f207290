using System.Text;
using BpfLoader.Interop;

namespace BpfLoader.Programs;

/// <summary>A verified, loaded BPF program owned through its fd. Attach it with a link from BpfLoader.Links.</summary>
public sealed unsafe class BpfProgram : IDisposable
{
    public const int InstructionSize = 8;

    public FileDescriptor Fd { get; }
    public BpfProgramType Type { get; }
    public BpfAttachType ExpectedAttachType { get; }
    public string Name { get; }
    /// <summary>The verifier's log when the program was loaded with <see cref="ProgramLoadOptions.LogLevel"/> &gt; 0, else empty.</summary>
    public string VerifierLog { get; }

    private BpfProgram(FileDescriptor fd, ProgramLoadOptions options, string name, string log)
        : this(fd, options.Type, options.ExpectedAttachType, name, log) { }

    private BpfProgram(FileDescriptor fd, BpfProgramType type, BpfAttachType expectedAttachType, string name, string log)
    {
        Fd = fd;
        Type = type;
        ExpectedAttachType = expectedAttachType;
        Name = name;
        VerifierLog = log;
    }

    /// <summary>A program another process loaded (from a pin or id): the kernel does not say its expected attach type.</summary>
    internal static BpfProgram FromKernel(FileDescriptor fd, ProgInfo info) =>
        new(fd, (BpfProgramType)info.Type, BpfAttachType.None, ObjectName.Read(new ReadOnlySpan<byte>(info.Name, ObjectName.Length)), string.Empty);

    /// <summary>
    /// BPF_OBJ_PIN: pins the program at a path on a mounted bpffs, so that it outlives this process;
    /// <see cref="Pinning.BpfPins.Unpin"/> removes the pin.
    /// </summary>
    /// <param name="path">A path on a mounted bpffs, e.g. /sys/fs/bpf/my_prog.</param>
    public void Pin(string path) => Pinning.BpfPins.PinFd(Fd, path, ToString());

    /// <summary>
    /// BPF_PROG_LOAD. A rejected program is loaded again with a verifier log (grown until it fits, up to
    /// 16 MiB) and reported as <see cref="BpfVerifierException"/>.
    /// </summary>
    public static BpfProgram Load(ProgramLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ReadOnlySpan<byte> insns = options.Instructions.Span;
        if (insns.IsEmpty || insns.Length % InstructionSize != 0)
            throw new ArgumentException($"instructions are {insns.Length} bytes, not a non-empty multiple of {InstructionSize}", nameof(options));
        string name = ObjectName.Sanitise(options.Name);

        int licenseLength = Encoding.UTF8.GetByteCount(options.License);
        Span<byte> license = licenseLength < 256 ? stackalloc byte[licenseLength + 1] : new byte[licenseLength + 1];
        Encoding.UTF8.GetBytes(options.License, license);
        license[^1] = 0;

        using var btf = new FdLease(options.Btf?.Fd);
        using var attachBtfObject = new FdLease(options.AttachBtfObject);
        fixed (byte* insnPtr = insns)
        fixed (byte* licensePtr = license)
        fixed (byte* funcInfo = options.FuncInfo.Span)
        fixed (byte* lineInfo = options.LineInfo.Span)
        {
            var attr = new ProgLoadAttr
            {
                ProgType = (uint)options.Type,
                InsnCnt = (uint)(insns.Length / InstructionSize),
                Insns = (ulong)insnPtr,
                License = (ulong)licensePtr,
                KernVersion = options.KernelVersion,
                ProgFlags = (uint)options.Flags,
                ExpectedAttachType = (uint)options.ExpectedAttachType,
                ProgBtfFd = btf.Value,
                AttachBtfId = options.AttachBtfId,
                AttachBtfObjFd = attachBtfObject.Value,
            };
            if (!options.FuncInfo.IsEmpty)
            {
                attr.FuncInfo = (ulong)funcInfo;
                attr.FuncInfoRecSize = options.FuncInfoRecordSize;
                attr.FuncInfoCnt = options.FuncInfoCount;
            }
            if (!options.LineInfo.IsEmpty)
            {
                attr.LineInfo = (ulong)lineInfo;
                attr.LineInfoRecSize = options.LineInfoRecordSize;
                attr.LineInfoCnt = options.LineInfoCount;
            }
            ObjectName.Write(name, new Span<byte>(attr.ProgName, ObjectName.Length));

            int fd;
            string log = string.Empty;
            if (options.LogLevel == 0)
            {
                fd = BpfSyscall.TryInvoke(BpfCommand.ProgLoad, ref attr);
                // Any error, EPERM included: the verifier also says EPERM for some refusals, and then the log says why.
                if (fd < 0)
                    fd = KernelLog.Load(BpfCommand.ProgLoad, ref attr, 1, out log);
                if (fd >= 0)
                    log = string.Empty;   // failed, then passed with a log: the first error was transient
            }
            else
            {
                fd = KernelLog.Load(BpfCommand.ProgLoad, ref attr, options.LogLevel, out log);
            }

            if (fd >= 0)
                return new BpfProgram(new FileDescriptor(fd), options, name, log);
            if (string.IsNullOrWhiteSpace(log))
                throw new BpfSyscallException(BpfCommand.ProgLoad.Name(), -fd, $"program '{name}' ({options.Type})");
            throw new BpfVerifierException(options.Name ?? name, -fd, log);   // the full name, not the kernel's 15 characters
        }
    }

    /// <summary>BPF_OBJ_GET_INFO_BY_FD: id, name, and the run statistics.</summary>
    public ProgramInfo GetInfo()
    {
        ProgInfo info = default;
        ObjectInfo.Get(Fd, ref info, $"program '{Name}'");
        return new ProgramInfo(
            info.Id,
            (BpfProgramType)info.Type,
            ObjectName.Read(new ReadOnlySpan<byte>(info.Name, ObjectName.Length)),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(new ReadOnlySpan<byte>(info.Tag, 8)),
            info.RunTimeNs,
            info.RunCnt,
            info.RecursionMisses,
            info.VerifiedInsns,
            info.BtfId,
            info.AttachBtfId);
    }

    /// <summary>The run counters alone: unlike <see cref="GetInfo"/>, allocates nothing.</summary>
    public ProgramRunStatistics GetRunStatistics()
    {
        ProgInfo info = default;
        ObjectInfo.Get(Fd, ref info, Name);
        return new ProgramRunStatistics(info.RunTimeNs, info.RunCnt, info.RecursionMisses);
    }

    public void Dispose() => Fd.Dispose();

    public override string ToString() => $"program '{Name}' ({Type}, {Fd})";
}
