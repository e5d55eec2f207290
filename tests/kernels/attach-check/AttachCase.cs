using System.Reflection;
using BpfLoader.Errors;
using BpfLoader.Links;
using BpfLoader.Maps;
using BpfLoader.Object.Spec;
using BpfLoader.Object;
using BpfLoader;

namespace AttachCheck;

/// <summary>
/// One attach type: its program in attach.bpf.c, its slot in the <c>hits</c> map, how it attaches, and
/// what makes the kernel run it. Each loads a collection of its own, so that one type the kernel refuses
/// leaves the others to be checked.
/// </summary>
internal sealed class AttachCase
{
    /// <summary>Calls made per check; the hook must count at least this many in the triggering thread.</summary>
    private const int Calls = 5;

    private const string PmuRoot = "/sys/bus/event_source/devices";
    private const string LsmList = "/sys/kernel/security/lsm";

    /// <summary>The kernel's internal "not supported" (bpf() returns it where an architecture lacks a feature).</summary>
    private const int Enotsupp = 524;

    private readonly string _program;
    private readonly uint _slot;
    private readonly Func<string?> _missing;
    private readonly Func<Collection, BpfLink> _attach;
    private readonly Action _call;
    private readonly string _callName;
    private readonly bool _trampoline;

    private AttachCase(string name, string program, uint slot, Func<string?> missing, Func<Collection, BpfLink> attach, Action call, string callName, bool trampoline = false)
    {
        _trampoline = trampoline;
        Name = name;
        _program = program;
        _slot = slot;
        _missing = missing;
        _attach = attach;
        _call = call;
        _callName = callName;
    }

    /// <summary>The attach type, as the matrix's table names it.</summary>
    public string Name { get; }

    /// <summary>Every attach type, in the order of the slots in attach.bpf.c.</summary>
    public static IReadOnlyList<AttachCase> All { get; } =
    [
        // Auto-attached from their section names (kprobe/__task_pid_nr_ns), as a libbpf user would.
        new("kprobe", "on_kprobe", 0, () => NoPmu("kprobe"), c => c.Attach("on_kprobe"), GetPid, "getpid()"),
        new("kretprobe", "on_kretprobe", 1, () => NoPmu("kprobe"), c => c.Attach("on_kretprobe"), GetPid, "getpid()"),
        // On libc's getpid, wherever this process maps libc (the VM's /lib/multiarch, the host's /lib/...).
        new("uprobe", "on_uprobe", 2, () => NoPmu("uprobe"), c => AttachLibcGetpid(c, "on_uprobe", isReturn: false), GetPid, "libc getpid()"),
        new("uretprobe", "on_uretprobe", 3, () => NoPmu("uprobe"), c => AttachLibcGetpid(c, "on_uretprobe", isReturn: true), GetPid, "libc getpid()"),
        new("fentry", "on_fentry", 4, NoKernelBtf, c => c.Attach("on_fentry"), GetPid, "getpid()", trampoline: true),
        new("fexit", "on_fexit", 5, NoKernelBtf, c => c.Attach("on_fexit"), GetPid, "getpid()", trampoline: true),
        new("lsm", "on_lsm", 6, NoBpfLsm, c => c.Attach("on_lsm"), OpenFile, "open()", trampoline: true),
    ];

    /// <summary>Loads, attaches, calls (unless <paramref name="trigger"/> is false) and counts.</summary>
    public Verdict Run(bool trigger)
    {
        if (_missing() is string why)
            return new(Outcome.Skip, why);
        string step = "load";
        try
        {
            using Collection objects = Collection.Load(CollectionSpec.Parse(ReadObject()), new CollectionOptions { Programs = [_program] });
            step = "attach";
            using BpfLink link = _attach(objects);
            step = "count";
            BpfMap hits = Map(objects, "hits");
            BpfMap config = Map(objects, "config");
            ulong before = Hits(hits);
            config.Update(0u, (uint)Libc.GetTid());
            if (trigger)
                for (int i = 0; i < Calls; i++) _call();
            config.Update(0u, 0u);
            ulong counted = Hits(hits) - before;
            string how = $"{counted} hits for {(trigger ? Calls : 0)} calls of {_callName}, attached as {link.Target}{Mechanism(link)}";
            return counted >= Calls ? new(Outcome.Pass, how) : new(Outcome.Fail, (counted == 0 ? "no hits: " : "too few hits: ") + how);
        }
        catch (BpfSyscallException e) when (step == "attach" && _trampoline && e.Errno == Enotsupp)
        {
            // Not a fault of the loader: the kernel has the hook but cannot reach it on this architecture.
            return new(Outcome.Skip, "no BPF trampolines (fentry, fexit, lsm) here: " + OneLine(e.Message));
        }
        catch (BpfException e)
        {
            return new(Outcome.Fail, $"{step}: {OneLine(e.Message)}");
        }
    }

    /// <summary>A map of the collection: loading one program creates only the maps it uses.</summary>
    private BpfMap Map(Collection objects, string name) =>
        objects.Maps.TryGetValue(name, out BpfMap? map) ? map : throw new BpfException($"program '{_program}' uses no map '{name}'");

    private ulong Hits(BpfMap hits) =>
        hits.TryLookup(_slot, out ulong n) ? n : throw new BpfException($"hits[{_slot}] cannot be read");

    private static string Mechanism(BpfLink link) => link switch
    {
        PerfEventLink p => p.IsPerfLink ? " (perf link)" : " (PERF_EVENT_IOC_SET_BPF)",
        TracingLink t => t.IsLinkCreate ? " (BPF_LINK_CREATE)" : " (BPF_RAW_TRACEPOINT_OPEN)",
        _ => "",
    };

    private static BpfLink AttachLibcGetpid(Collection objects, string program, bool isReturn)
    {
        string libc = MappedLibc();
        return PerfEventLink.AttachUprobe(objects.Programs[program], libc, UprobeTarget.FileOffset(libc, "getpid"), isReturn);
    }

    /// <summary>The libc this process runs with, from its memory map.</summary>
    private static string MappedLibc()
    {
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0) continue;
            string path = line[slash..];
            if (Path.GetFileName(path).StartsWith("libc.so", StringComparison.Ordinal) || Path.GetFileName(path).StartsWith("libc-", StringComparison.Ordinal))
                return path;
        }
        throw new BpfException("no libc in /proc/self/maps");
    }

    private static void GetPid() => Libc.GetPid();

    private static void OpenFile()
    {
        using FileStream f = File.OpenRead("/proc/self/comm");
    }

    private static string? NoPmu(string pmu) =>
        File.Exists($"{PmuRoot}/{pmu}/type") ? null : $"this kernel has no {pmu} PMU ({PmuRoot}/{pmu}: built without CONFIG_{pmu.ToUpperInvariant()}S)";

    private static string? NoKernelBtf() =>
        File.Exists("/sys/kernel/btf/vmlinux") ? null : "this kernel has no BTF (/sys/kernel/btf/vmlinux), which fentry and fexit need";

    private static string? NoBpfLsm()
    {
        if (!File.Exists(LsmList))
            return $"cannot tell whether the BPF LSM is active: no {LsmList} (securityfs not mounted, or no LSM at all)";
        string active = File.ReadAllText(LsmList).Trim();
        return active.Split(',').Contains("bpf") ? null : $"the BPF LSM is not active (lsm={active}; it needs CONFIG_BPF_LSM and bpf in lsm=)";
    }

    private static string OneLine(string text)
    {
        string flat = string.Join(" / ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return flat.Length <= 400 ? flat : flat[..400] + " ...";
    }

    private static byte[] ReadObject()
    {
        using Stream s = Assembly.GetExecutingAssembly().GetManifestResourceStream("attach.bpf.o")
            ?? throw new BpfException("attach.bpf.o is not embedded");
        using var copy = new MemoryStream();
        s.CopyTo(copy);
        return copy.ToArray();
    }
}
