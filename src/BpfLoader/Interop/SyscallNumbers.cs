using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>
/// The numbers of the syscalls libc has no wrapper for, per architecture (x86-64's own table;
/// aarch64 uses asm-generic's). Other architectures get -1, which the kernel answers with ENOSYS.
/// </summary>
internal readonly record struct SyscallNumbers(long Bpf, long PerfEventOpen, long Membarrier)
{
    public static SyscallNumbers For(Architecture architecture) => architecture switch
    {
        Architecture.X64 => new(Bpf: 321, PerfEventOpen: 298, Membarrier: 324),
        Architecture.Arm64 => new(Bpf: 280, PerfEventOpen: 241, Membarrier: 283),
        _ => new(Bpf: -1, PerfEventOpen: -1, Membarrier: -1),
    };

    public static SyscallNumbers Current { get; } = For(RuntimeInformation.ProcessArchitecture);
}
