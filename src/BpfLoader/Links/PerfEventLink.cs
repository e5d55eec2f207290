using System.Globalization;
using System.Text;
using BpfLoader.Errors;
using BpfLoader.Features;
using BpfLoader.Interop;
using BpfLoader.Kernel;
using BpfLoader.Object;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;

namespace BpfLoader.Links;

/// <summary>
/// A program on a perf event: a software event (perf_event programs, sampled), or a kprobe or uprobe
/// made through the kernel's kprobe/uprobe PMU (kprobe programs). The program is bound to the event by a
/// perf link (BPF_LINK_CREATE with BPF_PERF_EVENT, 5.15+) or by PERF_EVENT_IOC_SET_BPF before that.
/// </summary>
public sealed class PerfEventLink : PerfEventBoundLink
{
    private const string PmuRoot = "/sys/bus/event_source/devices";

    private PerfEventLink(FileDescriptor perfEvent, FileDescriptor? link, string target)
        : base(perfEvent, link, target)
    {
    }

    /// <summary>
    /// Runs a perf_event program every <paramref name="samplePeriod"/> events of a software counter
    /// (for the clocks, nanoseconds) of a process or CPU.
    /// </summary>
    /// <param name="program">A perf_event program.</param>
    /// <param name="counter">The software counter.</param>
    /// <param name="samplePeriod">Events between two runs; at least 1.</param>
    /// <param name="pid">A process or thread id; 0 the calling thread; -1 every process on <paramref name="cpu"/>.</param>
    /// <param name="cpu">A CPU; -1 any CPU (only with a pid other than -1).</param>
    public static PerfEventLink AttachSoftware(BpfProgram program, PerfSoftwareCounter counter, ulong samplePeriod, int pid = -1, int cpu = 0)
        => AttachSoftware(program, counter, samplePeriod, pid, cpu, KernelFeatures.HasPerfLink);

    /// <summary>With a chosen mechanism; tests use it to run the ioctl path on kernels that have perf links.</summary>
    internal static PerfEventLink AttachSoftware(BpfProgram program, PerfSoftwareCounter counter, ulong samplePeriod, int pid, int cpu, bool usePerfLink)
    {
        RequireType(program, "a perf event", BpfProgramType.PerfEvent);
        ArgumentOutOfRangeException.ThrowIfZero(samplePeriod);
        var attr = new PerfEventAttr
        {
            Type = PerfEventAttr.TypeSoftware,
            Size = PerfEventAttr.SizeVer8,
            Config = (ulong)counter,
            SamplePeriod = samplePeriod,
            Flags = PerfEventAttr.FlagDisabled,
        };
        return Open(program, ref attr, pid, cpu, $"perf event {counter} (pid {pid}, cpu {cpu})", usePerfLink);
    }

    /// <summary>
    /// A kprobe (or kretprobe) on a kernel function through the kprobe PMU (4.17+). A kernel built
    /// without CONFIG_KPROBES has no such PMU: that is a <see cref="BpfSyscallException"/> with ENOENT
    /// naming the PMU's type file.
    /// </summary>
    /// <param name="program">A kprobe program.</param>
    /// <param name="function">The kernel function, as /proc/kallsyms names it.</param>
    /// <param name="isReturn">True for a kretprobe (on the function's return).</param>
    /// <param name="offset">Bytes into the function (kprobe only).</param>
    public static PerfEventLink AttachKprobe(BpfProgram program, string function, bool isReturn = false, ulong offset = 0)
    {
        RequireType(program, "a kprobe", BpfProgramType.Kprobe);
        ArgumentException.ThrowIfNullOrEmpty(function);
        string target = $"{(isReturn ? "kretprobe" : "kprobe")} {function}" + (offset == 0 ? "" : $"+{offset}");
        return OpenProbe(program, "kprobe", function, offset, isReturn, -1, target);
    }

    /// <summary>
    /// A uprobe (or uretprobe) at a file offset of an executable or library, through the uprobe PMU (4.17+).
    /// </summary>
    /// <param name="program">A kprobe-type program (libbpf's <c>uprobe/</c> sections).</param>
    /// <param name="binaryPath">The ELF file, e.g. /usr/lib/x86_64-linux-gnu/libc.so.6.</param>
    /// <param name="fileOffset">The probed instruction's offset in the file (<see cref="UprobeTarget.FileOffset"/> gives a symbol's).</param>
    /// <param name="isReturn">True for a uretprobe (on the function's return).</param>
    /// <param name="pid">Only in this process; -1 in every process that maps the file.</param>
    public static PerfEventLink AttachUprobe(BpfProgram program, string binaryPath, ulong fileOffset, bool isReturn = false, int pid = -1)
    {
        RequireType(program, "a uprobe", BpfProgramType.Kprobe);
        ArgumentException.ThrowIfNullOrEmpty(binaryPath);
        string target = $"{(isReturn ? "uretprobe" : "uprobe")} {binaryPath}:0x{fileOffset:x}" + (pid < 0 ? "" : $" (pid {pid})");
        return OpenProbe(program, "uprobe", binaryPath, fileOffset, isReturn, pid, target);
    }

    private static unsafe PerfEventLink OpenProbe(BpfProgram program, string pmu, string name, ulong offset, bool isReturn, int pid, string target)
    {
        uint type = PmuType(pmu, target);
        byte[] nameBytes = new byte[Encoding.UTF8.GetByteCount(name) + 1];
        Encoding.UTF8.GetBytes(name, nameBytes);
        fixed (byte* namePtr = nameBytes)
        {
            var attr = new PerfEventAttr
            {
                Type = type,
                Size = PerfEventAttr.SizeVer8,
                Config = isReturn ? 1UL << RetprobeBit(pmu) : 0,
                Config1 = (ulong)namePtr,      // kprobe_func / uprobe_path
                Config2 = offset,              // probe_offset
                SamplePeriod = 1,
                Flags = PerfEventAttr.FlagDisabled,
            };
            // A kprobe fires on every CPU for every task: one event (pid -1, cpu 0) holds it, as for tracepoints.
            return Open(program, ref attr, pid, pid < 0 ? 0 : -1, target, KernelFeatures.HasPerfLink);
        }
    }

    private static PerfEventLink Open(BpfProgram program, ref PerfEventAttr attr, int pid, int cpu, string target, bool usePerfLink)
    {
        int fd = Libc.PerfEventOpen(ref attr, pid, cpu, -1, PerfEventAttr.PerfFlagFdCloexec);
        if (fd < 0)
            throw new BpfSyscallException("perf_event_open", Libc.Errno, target);
        return Bind(program, new FileDescriptor(fd), usePerfLink, target, (perf, link) => new PerfEventLink(perf, link, target));
    }

    /// <summary>The dynamic PMU's perf type, from sysfs.</summary>
    private static uint PmuType(string pmu, string target)
    {
        string path = $"{PmuRoot}/{pmu}/type";
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BpfSyscallException("open", Errno.ENOENT,
                $"{target}: {path}: this kernel has no {pmu} PMU (built without CONFIG_{pmu.ToUpperInvariant()}S, or older than 4.17)");
        }
        if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint type))
            throw new BpfException($"{path} holds '{text}', not a perf type number");
        return type;
    }

    /// <summary>The config bit that makes a probe a return probe: "config:N" in the PMU's format/retprobe.</summary>
    private static int RetprobeBit(string pmu)
    {
        string path = $"{PmuRoot}/{pmu}/format/retprobe";
        string text = File.Exists(path) ? File.ReadAllText(path).Trim() : "config:0";
        return text.StartsWith("config:", StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out int bit) && bit is >= 0 and < 64
            ? bit
            : throw new BpfException($"{path} holds '{text}', not config:BIT");
    }

}
