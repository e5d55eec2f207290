using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using BpfLoader.Errors;
using BpfLoader.Links;
using BpfLoader.Object.Externs;
using BpfLoader.Object.Spec;
using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Compat;

/// <summary>
/// libbpf's externs on the running kernel: compat_externs.bpf.c reads __kconfig values, a typed and an
/// untyped __ksym, calls kfuncs (bpf_task_from_pid/bpf_task_release) and guards a weak missing kfunc;
/// everything it saw is read back from .bss and checked against what user space finds itself.
/// </summary>
[Collection("getppid")]
public sealed partial class ExternTests
{
    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetPpid();

    private static CollectionSpec Spec()
    {
        CollectionSpec spec = CollectionSpec.FromResource(typeof(ExternTests).Assembly, "compat_externs.bpf.o");
        spec.SetConstant("target_tgid", (uint)Environment.ProcessId);
        return spec;
    }

    private static GlobalsReader Run(CollectionSpec spec, Collection objects)
    {
        using (BpfLink link = objects.Attach("externs"))
        {
            GetPpid();
        }
        var globals = new GlobalsReader(spec, objects);
        Assert.NotEqual(0UL, globals.U64("runs"));
        return globals;
    }

    /// <summary>The configuration as the test reads it itself, with zcat's job done by GZipStream.</summary>
    private static Dictionary<string, string> ConfigByHand()
    {
        using var gz = new GZipStream(File.OpenRead("/proc/config.gz"), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        return reader.ReadToEnd().Split('\n').Where(l => l.StartsWith("CONFIG_", StringComparison.Ordinal) && l.Contains('='))
            .ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
    }

    [KernelFact]
    public void Kconfig_externs_hold_the_running_kernels_configuration_and_version()
    {
        CollectionSpec spec = Spec();
        Assert.Equal(ExternKind.Kconfig, spec.Externs["CONFIG_BPF_SYSCALL"].Kind);
        using Collection objects = Collection.Load(spec, new CollectionOptions { Programs = ["externs"] });
        GlobalsReader g = Run(spec, objects);

        Version os = Environment.OSVersion.Version;   // from uname(2), independently of the loader
        ulong version = g.U64("kernel_version");
        Assert.Equal((ulong)os.Major, version >> 16);
        Assert.Equal((ulong)os.Minor, (version >> 8) & 0xff);
        Assert.Equal(1UL, g.U64("bpf_syscall"));
        Assert.Equal(0UL, g.U64("no_such_option"));   // weak and unset: 0, as libbpf
        if (File.Exists("/proc/config.gz"))
        {
            Dictionary<string, string> config = ConfigByHand();
            Assert.Equal(config.TryGetValue("CONFIG_HZ", out string? hz) ? ulong.Parse(hz, CultureInfo.InvariantCulture) : 0, g.U64("hz"));
            Assert.Equal(config.TryGetValue("CONFIG_LOCALVERSION", out string? lv) ? lv.Trim('"') : "", g.CString("localversion"));
            Assert.Equal(config.GetValueOrDefault("CONFIG_ARCH_HAS_SYSCALL_WRAPPER") == "y" ? 1UL : 0UL, g.U64("syscall_wrapper"));
        }
    }

    [KernelFact]
    public void Kfuncs_and_ksyms_resolve_against_kernel_BTF_and_kallsyms()
    {
        CollectionSpec spec = Spec();
        Assert.Equal(ExternKind.Kfunc, spec.Externs["bpf_task_from_pid"].Kind);
        Assert.True(spec.Externs["_text"].IsUntyped);
        Assert.False(spec.Externs["runqueues"].IsUntyped);
        using Collection objects = Collection.Load(spec, new CollectionOptions { Programs = ["externs"] });
        // The kernel took the object's BTF (extern VARs and FUNCs rewritten as libbpf does), so the program has it.
        Assert.NotEqual(0u, objects.Programs["externs"].GetInfo().BtfId);
        GlobalsReader g = Run(spec, objects);

        Assert.Equal((ulong)Environment.ProcessId, g.U64("task_tgid"));       // bpf_task_from_pid found us
        Assert.Equal(0UL, g.U64("missing_kfunc"));                            // the weak missing kfunc was 0
        Assert.Equal(0UL, g.U64("missing_symbol_address"));                   // and so the weak missing symbol
        ulong text = File.ReadLines("/proc/kallsyms").Select(l => l.Split(' '))
            .Where(f => f.Length >= 3 && f[2] == "_text").Select(f => Convert.ToUInt64(f[0], 16)).First();
        Assert.Equal(text, g.U64("text_address"));
    }

    [KernelFact]
    public void A_typed_ksym_is_loaded_by_its_kernel_BTF_id()
    {
        CollectionSpec spec = Spec();
        bool inKallsyms = File.ReadLines("/proc/kallsyms").Any(l => l.EndsWith(" runqueues", StringComparison.Ordinal));
        if (inKallsyms)
        {
            using Collection objects = Collection.Load(spec, new CollectionOptions { Programs = ["typed_ksym"] });
            using (BpfLink link = objects.Attach("typed_ksym"))
                GetPpid();
            Assert.Equal(0UL, new GlobalsReader(spec, objects).U64("rq_cpu"));   // runqueues of CPU 0 says CPU 0
        }
        else
        {
            // Without CONFIG_KALLSYMS_ALL the kernel cannot place the variable, and says which it looked for:
            // the name it found from the BTF id we gave.
            BpfVerifierException e = Assert.Throws<BpfVerifierException>(
                () => Collection.Load(spec, new CollectionOptions { Programs = ["typed_ksym"] }));
            Assert.Contains("kernel symbol 'runqueues'", e.VerifierLog, StringComparison.Ordinal);
        }
    }

    [KernelFact]
    public void A_missing_non_weak_kconfig_value_fails_the_load_naming_it()
    {
        CollectionSpec spec = Spec();
        var config = new KernelConfig(new Dictionary<string, string> { ["CONFIG_HZ"] = "100" }, "5.15.0");
        ExternResolutionException e = Assert.Throws<ExternResolutionException>(
            () => Collection.Load(spec, new CollectionOptions { KernelConfig = config }));
        Assert.Equal("CONFIG_BPF_SYSCALL", e.ExternName);
        Assert.Contains("CONFIG_BPF_SYSCALL", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kconfig_values_follow_libbpfs_rules()
    {
        CollectionSpec spec = Spec();
        var config = KernelConfig.Parse("# comment\nCONFIG_BPF_SYSCALL=y\nCONFIG_HZ=0x3e8\nCONFIG_LOCALVERSION=\"-abc\"\n# CONFIG_NO_SUCH_OPTION_FOR_TESTS is not set\n", "5.15.200-x");
        byte[] value = KconfigValues.Build(spec, config);
        ExternSpec Ext(string n) => spec.Externs[n];
        Assert.Equal((5u << 16) | (15u << 8) | 200u, BitConverter.ToUInt32(value, Ext("LINUX_KERNEL_VERSION").Offset));
        Assert.Equal(1, value[Ext("CONFIG_BPF_SYSCALL").Offset]);
        Assert.Equal(1000, BitConverter.ToInt32(value, Ext("CONFIG_HZ").Offset));
        Assert.Equal(0, value[Ext("CONFIG_NO_SUCH_OPTION_FOR_TESTS").Offset]);
        Assert.Equal("-abc\0"u8.ToArray(), value.AsSpan(Ext("CONFIG_LOCALVERSION").Offset, 5).ToArray());
        Assert.Equal(0, Ext("CONFIG_HZ").Offset % 4);
        Assert.Equal(0, value[Ext("LINUX_HAS_SYSCALL_WRAPPER").Offset]);   // CONFIG_ARCH_HAS_SYSCALL_WRAPPER is not in this config

        var bad = KernelConfig.Parse("CONFIG_BPF_SYSCALL=m\n", "6.1");
        Assert.Throws<ExternResolutionException>(() => KconfigValues.Build(spec, bad));   // a bool cannot be 'm'
    }
}
