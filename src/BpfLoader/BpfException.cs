namespace BpfLoader;

/// <summary>Every error the loader raises derives from this: malformed objects, failed relocations, failed syscalls.</summary>
public class BpfException : Exception
{
    /// <summary>An error with the given message.</summary>
    public BpfException(string message) : base(message) { }
    /// <summary>An error with the given message, caused by <paramref name="inner"/>.</summary>
    public BpfException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The object file (ELF, BTF, .BTF.ext) is not one we can read.</summary>
public class BpfObjectException : BpfException
{
    /// <summary>A damaged or unsupported object, described by <paramref name="message"/>.</summary>
    public BpfObjectException(string message) : base(message) { }
    /// <summary>A damaged or unsupported object, described by <paramref name="message"/>, found through <paramref name="inner"/>.</summary>
    public BpfObjectException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A CO-RE relocation could not be resolved against the target BTF.</summary>
public class CoreRelocationException : BpfException
{
    /// <summary>A CO-RE relocation that cannot be resolved against the kernel's BTF, described by <paramref name="message"/>.</summary>
    public CoreRelocationException(string message) : base(message) { }
}

/// <summary>A syscall failed: carries the operation (e.g. BPF_MAP_CREATE), the errno and its name.</summary>
public class BpfSyscallException : BpfException
{
    /// <summary>What failed: the bpf() command or other call and its object ("BPF_MAP_CREATE events").</summary>
    public string Operation { get; }
    /// <summary>The errno the kernel returned.</summary>
    public int Errno { get; }
    /// <summary>The errno's symbolic name ("EPERM", "EINVAL", ...).</summary>
    public string ErrnoName => Interop.Errno.Name(Errno);

    /// <summary>A failed <paramref name="operation"/> with its <paramref name="errno"/>, and an optional <paramref name="detail"/> for the message.</summary>
    public BpfSyscallException(string operation, int errno, string? detail = null)
        : base(Format(operation, errno, detail))
    {
        Operation = operation;
        Errno = errno;
    }

    private static string Format(string operation, int errno, string? detail)
    {
        string text = $"{operation}: {Interop.Errno.Name(errno)} ({Interop.Errno.Describe(errno)})";
        // Only where it is the reason: the verifier also refuses programs with EACCES, and says why.
        if (errno is Interop.Errno.EPERM or Interop.Errno.EACCES && !Kernel.ThreadCapabilities.MayTrace)
            text += " (run as root, or grant CAP_BPF and CAP_PERFMON)";
        return detail is null ? text : $"{text}: {detail}";
    }
}

/// <summary>The verifier rejected a program. <see cref="VerifierLog"/> has the whole log; the message its end.</summary>
public class BpfVerifierException : BpfSyscallException
{
    /// <summary>The program the verifier refused.</summary>
    public string ProgramName { get; }
    /// <summary>The verifier's whole log, annotated with source lines where the object has line info.</summary>
    public string VerifierLog { get; }

    /// <summary>BPF_PROG_LOAD of <paramref name="programName"/> refused with <paramref name="errno"/> and the verifier's <paramref name="verifierLog"/>.</summary>
    public BpfVerifierException(string programName, int errno, string verifierLog)
        : this(programName, errno, verifierLog, null)
    {
    }

    /// <summary>A refusal with the loader's own <paramref name="explanation"/> of it before the log's end.</summary>
    public BpfVerifierException(string programName, int errno, string verifierLog, string? explanation)
        : base($"BPF_PROG_LOAD {programName}", errno,
            (explanation is null ? "" : explanation + Environment.NewLine) + "verifier log:" + Environment.NewLine + Tail(verifierLog, 20))
    {
        ProgramName = programName;
        VerifierLog = verifierLog;
    }

    private static string Tail(string log, int lines)
    {
        string[] all = log.TrimEnd().Split('\n');
        return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)));
    }
}

/// <summary>The kernel rejected a BTF blob (BPF_BTF_LOAD). <see cref="BtfLog"/> has the kernel's BTF log.</summary>
public class BtfLoadException : BpfSyscallException
{
    /// <summary>The kernel's BTF verifier log.</summary>
    public string BtfLog { get; }

    /// <summary>BPF_BTF_LOAD refused with <paramref name="errno"/> and the kernel's <paramref name="btfLog"/>.</summary>
    public BtfLoadException(int errno, string btfLog)
        : base("BPF_BTF_LOAD", errno, string.IsNullOrWhiteSpace(btfLog) ? null : "BTF log:" + Environment.NewLine + btfLog.TrimEnd())
    {
        BtfLog = btfLog;
    }
}
