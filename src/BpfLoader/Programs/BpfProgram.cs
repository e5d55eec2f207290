using System.Text;
using BpfLoader.Errors;
using BpfLoader.Interop;
using BpfLoader.Object.Uapi;
using Microsoft.Win32.SafeHandles;

namespace BpfLoader.Programs;

/// <summary>A verified, loaded BPF program owned through its fd. Attach it with a link from BpfLoader.Links.</summary>
public sealed unsafe class BpfProgram : IDisposable
{
    /// <summary>Bytes per instruction slot.</summary>
    public const int InstructionSize = 8;

    /// <summary>The program's fd.</summary>
    internal FileDescriptor Fd { get; }

    /// <summary>
    /// A new fd for this program, owned by the caller, for code outside this library that needs the kernel
    /// object itself (another process over SCM_RIGHTS, another BPF library). Disposing this program does not
    /// close it, nor does closing it dispose this program; the program lives while either is open.
    /// </summary>
    public SafeFileHandle DuplicateHandle() => Fd.DuplicateAsSafeFileHandle();
    /// <summary>The program type it was loaded as.</summary>
    public BpfProgramType Type { get; }
    /// <summary>The attach type it was loaded for (BPF_TRACE_RAW_TP for tp_btf, ...), or none.</summary>
    public BpfAttachType ExpectedAttachType { get; }
    /// <summary>The program's name (its function name in the object).</summary>
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
    public void Pin(string path) => ObjectPins.Pin(Fd, path, ToString());

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

    /// <summary>
    /// BPF_PROG_TEST_RUN: runs the program once (or <paramref name="repeat"/> times) in the kernel on
    /// <paramref name="data"/> (a packet, for socket filters, XDP, tc, ...) and/or <paramref name="context"/>
    /// (the program's context: a struct __sk_buff or xdp_md in part, a raw tracepoint's u64 arguments, a
    /// <c>syscall</c> program's argument block), without attaching it. What the program left of the packet
    /// goes to <paramref name="dataOut"/>, of the context to <paramref name="contextOut"/> (for a <c>syscall</c>
    /// program, which changes its context in place, the context as it ended). Raw tracepoint programs run on the
    /// calling CPU, or on <paramref name="cpu"/>, once: they take no data and no repeat.
    /// Which program types and inputs the kernel takes is its own (Linux 4.12 for packets, 5.10 for raw
    /// tracepoints, 5.14 for <c>syscall</c>); a refusal is a <see cref="BpfSyscallException"/> (EINVAL, or ENOTSUPP
    /// for a program type it cannot run).
    /// </summary>
    public ProgramTestRun TestRun(ReadOnlySpan<byte> data, Span<byte> dataOut = default, ReadOnlySpan<byte> context = default,
        Span<byte> contextOut = default, int repeat = 0, int? cpu = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(repeat);
        if (cpu is < 0)
            throw new ArgumentOutOfRangeException(nameof(cpu), cpu, "a CPU number");
        // A syscall program's context is written back over the input: hand the kernel the output buffer as input.
        bool inPlace = Type == BpfProgramType.Syscall && !contextOut.IsEmpty;
        if (inPlace)
        {
            if (contextOut.Length < context.Length)
                throw new ArgumentException($"context out is {contextOut.Length} bytes, the context {context.Length}", nameof(contextOut));
            context.CopyTo(contextOut);
            contextOut = contextOut[..context.Length];
        }

        using var program = new FdLease(Fd);
        fixed (byte* dataIn = data)
        fixed (byte* dataOutPtr = dataOut)
        fixed (byte* ctxIn = context)
        fixed (byte* ctxOut = contextOut)
        {
            var attr = new ProgTestRunAttr
            {
                ProgFd = program.Value,
                DataIn = (ulong)dataIn,
                DataSizeIn = (uint)data.Length,
                DataOut = (ulong)dataOutPtr,
                DataSizeOut = (uint)dataOut.Length,
                CtxIn = inPlace ? (ulong)ctxOut : (ulong)ctxIn,
                CtxSizeIn = (uint)context.Length,
                CtxOut = inPlace ? 0 : (ulong)ctxOut,
                CtxSizeOut = inPlace ? 0 : (uint)contextOut.Length,
                Repeat = (uint)repeat,
                Flags = cpu is null ? 0 : ProgTestRunAttr.FlagRunOnCpu,
                Cpu = (uint)(cpu ?? 0),
            };
            int result = BpfSyscall.TryInvoke(BpfCommand.ProgTestRun, ref attr);
            // ENOSPC: the kernel copied what fit, and says how much there was.
            bool truncated = result == -Errno.ENOSPC && (!dataOut.IsEmpty || !contextOut.IsEmpty);
            if (result < 0 && !truncated)
                throw new BpfSyscallException(BpfCommand.ProgTestRun.Name(), -result, $"program '{Name}' ({Type})");
            return new ProgramTestRun(attr.Retval, attr.Duration,
                (int)attr.DataSizeOut,
                inPlace ? context.Length : (int)attr.CtxSizeOut,
                truncated);
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

    /// <summary>Closes the program's fd; attached links keep the program alive.</summary>
    public void Dispose() => Fd.Dispose();

    /// <summary>Name, type and fd, for messages.</summary>
    public override string ToString() => $"program '{Name}' ({Type}, {Fd})";
}
