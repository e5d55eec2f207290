namespace BpfBuild.Tests;

/// <summary>
/// bpf_base.h as a libbpf-style program uses it: after a bpftool-generated vmlinux.h found through the
/// project's own BpfIncludeDirs (which the targets must keep), with BPF_PROG, BPF_CORE_READ, bpf_tail_call,
/// bpf_probe_read_kernel_str and __ksym/__kconfig externs.
/// </summary>
public sealed class BpfBaseHeaderTests : IDisposable
{
    private readonly ScratchProject _project = new(
        "<OutputType>Exe</OutputType><BpfIncludeDirs>$(MSBuildProjectDirectory)/myinc</BpfIncludeDirs>",
        "<BpfSource Include=\"src/probe.bpf.c\" />");

    public void Dispose() => _project.Dispose();

    [VmlinuxHeaderFact]
    public void Combines_with_vmlinux_h_from_the_projects_own_include_dirs()
    {
        (int dumped, string vmlinux) = ScratchProject.Run("bpftool", "btf dump file /sys/kernel/btf/vmlinux format c");
        Assert.True(dumped == 0, "bpftool btf dump: " + vmlinux);
        _project.Write("myinc/vmlinux.h", vmlinux);

        _project.Write("Program.cs", "System.Console.WriteLine(\"ok\");\n");
        _project.Write("src/probe.bpf.c", """
            #include "vmlinux.h"
            #include <bpf_base.h>
            char LICENSE[] SEC("license") = "Dual BSD/GPL";
            extern int bpf_prog_active __ksym __weak;
            extern unsigned int LINUX_KERNEL_VERSION __kconfig __weak;
            struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, u32); } jmp SEC(".maps");
            struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } events SEC(".maps");
            struct ev { u32 pid; u32 ppid; unsigned int version; char file[64]; };
            SEC("tp_btf/sched_process_exec")
            int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
            {
            	struct ev *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
            	if (!e) return 0;
            	e->pid = old_pid;
            	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
            	e->version = LINUX_KERNEL_VERSION + (&bpf_prog_active != NULL);
            	bpf_probe_read_kernel_str(e->file, sizeof(e->file), BPF_CORE_READ(bprm, filename));
            	bpf_ringbuf_submit(e, 0);
            	if (bpf_core_field_exists(p->pid)) bpf_tail_call(ctx, &jmp, 0);
            	return 0;
            }
            """);

        (int code, string output) = _project.Dotnet("build");
        Assert.True(code == 0, output);
        string obj = Directory.GetFiles(_project.Dir, "probe.bpf.o", SearchOption.AllDirectories).Single();
        byte[] elf = File.ReadAllBytes(obj);
        Assert.True(ContainsAscii(elf, ".ksyms"), "the __ksym extern must land in .ksyms");
        Assert.True(ContainsAscii(elf, ".kconfig"), "the __kconfig extern must land in .kconfig");
    }

    private static bool ContainsAscii(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(needle)) >= 0;
}

/// <summary>A test that needs bpftool and the kernel's BTF to make a vmlinux.h: skipped without them, except under CI.</summary>
public sealed class VmlinuxHeaderFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when bpftool or /sys/kernel/btf/vmlinux is missing and CI is not "true".</summary>
    public VmlinuxHeaderFactAttribute()
    {
        bool bpftool = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "bpftool")));
        if ((!bpftool || !File.Exists("/sys/kernel/btf/vmlinux")) && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "needs bpftool and /sys/kernel/btf/vmlinux to generate a vmlinux.h; CI=true makes this a failure";
    }
}
