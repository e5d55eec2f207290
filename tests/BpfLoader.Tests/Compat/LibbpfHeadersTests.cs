using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using BpfLoader.Links;
using BpfLoader.Object.Spec;
using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Compat;

/// <summary>
/// An object built as libbpf users build them, compiled here at test time: a vmlinux.h that bpftool
/// generates from this kernel, and libbpf's own headers from libbpf-dev (bpf_helpers.h, bpf_tracing.h,
/// bpf_core_read.h); BPF_PROG, BPF_CORE_READ, __kconfig, __ksym kfuncs, ring buffer and hash maps.
/// The loader takes it unchanged. Missing clang, bpftool or libbpf-dev is a failure, not a pass.
/// </summary>
[Collection("getppid")]
public sealed partial class LibbpfHeadersTests
{
    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetPpid();

    private const string LibbpfHeader = "/usr/include/bpf/bpf_helpers.h";

    private static string? OnPath(params string[] names) =>
        names.SelectMany(n => (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Select(d => Path.Combine(d, n)))
            .FirstOrDefault(File.Exists);

    private static void Run(string tool, IEnumerable<string> args, string? stdoutFile = null)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {string.Join(' ', args)} failed: {stderr.Result}");
        if (stdoutFile is not null) File.WriteAllText(stdoutFile, stdout.Result);
    }

    /// <summary>vmlinux.h from bpftool, then clang with libbpf's headers; the object's bytes.</summary>
    private static byte[] Build(string dir)
    {
        string? clang = OnPath(["clang", .. Enumerable.Range(11, 12).Reverse().Select(v => $"clang-{v}")]);
        string? bpftool = OnPath("bpftool");
        Assert.True(clang is not null, "clang is not installed (the build needs it too)");
        Assert.True(bpftool is not null, "bpftool is not installed (apt-get install bpftool)");
        Assert.True(File.Exists(LibbpfHeader), $"{LibbpfHeader} is missing: apt-get install libbpf-dev");

        string vmlinux = Path.Combine(dir, "vmlinux.h");
        Run(bpftool, ["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"], vmlinux);
        string source = Path.Combine(AppContext.BaseDirectory, "Compat", "libbpf", "libbpf_style.bpf.c");
        string obj = Path.Combine(dir, "libbpf_style.bpf.o");
        string arch = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "arm64" : "x86";
        Run(clang, ["-g", "-O2", "-target", "bpf", $"-D__TARGET_ARCH_{arch}", "-I", dir, "-c", source, "-o", obj]);
        return File.ReadAllBytes(obj);
    }

    [KernelFact]
    public void An_object_built_with_libbpf_headers_and_a_bpftool_vmlinux_h_loads_unchanged()
    {
        string dir = Directory.CreateTempSubdirectory("libbpf-compat-").FullName;
        try
        {
            CollectionSpec spec = CollectionSpec.Parse(Build(dir));
            spec.SetConstant("target_tgid", (uint)Environment.ProcessId);
            using Collection objects = Collection.Load(spec);
            Assert.NotEqual(0u, objects.Programs["on_sys_enter"].GetInfo().BtfId);   // its BTF, externs and all, was accepted
            int parent;
            using (BpfLink link = objects.Attach("on_sys_enter"))
                parent = GetPpid();

            byte[] last = new GlobalsReader(spec, objects).Bytes("last");
            Assert.Equal((uint)Environment.ProcessId, BinaryPrimitives.ReadUInt32LittleEndian(last));              // tgid
            Assert.Equal((uint)parent, BinaryPrimitives.ReadUInt32LittleEndian(last.AsSpan(4)));                   // BPF_CORE_READ(task, real_parent, tgid)
            Assert.Equal((uint)Environment.OSVersion.Version.Major, BinaryPrimitives.ReadUInt32LittleEndian(last.AsSpan(8)) >> 16); // __kconfig
            Assert.Equal((uint)Environment.ProcessId, BinaryPrimitives.ReadUInt32LittleEndian(last.AsSpan(12)));   // the kfunc found us
            Assert.True(objects.Maps["counts"].TryLookup((uint)Environment.ProcessId, out ulong count));
            Assert.True(count >= 1);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
