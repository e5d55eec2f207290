using BpfLoader.Object;

namespace BpfLoader.Errors;

/// <summary>A syscall failed: carries the operation (e.g. BPF_MAP_CREATE), the errno and its name.</summary>
public class BpfSyscallException : BpfException
{
    /// <summary>What failed: the bpf() command or other call and its object ("BPF_MAP_CREATE events").</summary>
    public string Operation { get; }
    /// <summary>The errno the kernel returned.</summary>
    public int Errno { get; }
    /// <summary>The errno's symbolic name ("EPERM", "EINVAL", ...).</summary>
    public string ErrnoName => Errors.Errno.Name(Errno);

    /// <summary>A failed <paramref name="operation"/> with its <paramref name="errno"/>, and an optional <paramref name="detail"/> for the message.</summary>
    public BpfSyscallException(string operation, int errno, string? detail = null)
        : base(Format(operation, errno, detail))
    {
        Operation = operation;
        Errno = errno;
    }

    private static string Format(string operation, int errno, string? detail)
    {
        string text = $"{operation}: {Errors.Errno.Name(errno)} ({Errors.Errno.Describe(errno)})";
        // Only where it is the reason: the verifier also refuses programs with EACCES, and says why.
        // Read here, on the failing thread, because capabilities are per thread.
        if (errno is Errors.Errno.EPERM or Errors.Errno.EACCES && !ThreadCapabilities.MayTrace)
            text += " (run as root, or grant CAP_BPF and CAP_PERFMON)";
        return detail is null ? text : $"{text}: {detail}";
    }
}
