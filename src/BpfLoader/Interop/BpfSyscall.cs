using BpfLoader.Errors;

namespace BpfLoader.Interop;

/// <summary>
/// The bpf(2) syscall over one <c>union bpf_attr</c> variant. Each variant is its own struct whose
/// size is passed as the attr size; the kernel zero-extends shorter attrs, so we send only what we set.
/// </summary>
internal static unsafe class BpfSyscall
{
    // libbpf retries BPF_PROG_LOAD on EAGAIN a few times (the verifier can bail out under memory pressure).
    private const int ProgLoadAttempts = 5;

    /// <summary>Issues the command; returns its non-negative result or -errno. Retries EINTR, and EAGAIN for program loads.</summary>
    public static int TryInvoke<TAttr>(BpfCommand command, ref TAttr attr) where TAttr : unmanaged
    {
        int eagain = 0;
        while (true)
        {
            long result;
            fixed (TAttr* p = &attr)
            {
                result = Libc.Syscall(Libc.SysBpf, (long)command, (long)p, sizeof(TAttr), 0, 0);
            }
            if (result >= 0)
                return (int)result;
            int errno = Libc.Errno;
            if (errno == Errno.EINTR)
                continue;
            if (errno == Errno.EAGAIN && command == BpfCommand.ProgLoad && ++eagain < ProgLoadAttempts)
                continue;
            return -errno;
        }
    }

    /// <summary>Issues the command; throws <see cref="BpfSyscallException"/> on failure.</summary>
    public static int Invoke<TAttr>(BpfCommand command, ref TAttr attr, string? detail = null) where TAttr : unmanaged
    {
        int result = TryInvoke(command, ref attr);
        if (result < 0)
            throw new BpfSyscallException(command.Name(), -result, detail);
        return result;
    }

    /// <summary>Issues a command that returns a new fd, and wraps it at once so it cannot leak.</summary>
    public static FileDescriptor InvokeForFd<TAttr>(BpfCommand command, ref TAttr attr, string? detail = null) where TAttr : unmanaged
        => new(Invoke(command, ref attr, detail));
}
