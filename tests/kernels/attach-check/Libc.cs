using System.Runtime.InteropServices;

namespace AttachCheck;

/// <summary>The calls that make the kernel run the hooks.</summary>
internal static partial class Libc
{
    /// <summary>getpid(2) through libc: the uprobe's function, and a syscall into __task_pid_nr_ns.</summary>
    [LibraryImport("libc", EntryPoint = "getpid")]
    internal static partial int GetPid();

    /// <summary>The calling thread's id, which the programs count for (bpf_get_current_pid_tgid's low half).</summary>
    [LibraryImport("libc", EntryPoint = "gettid")]
    internal static partial int GetTid();
}
