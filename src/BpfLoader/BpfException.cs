namespace BpfLoader;

/// <summary>Every error the loader raises derives from this: malformed objects, failed relocations, failed syscalls.</summary>
public class BpfException : Exception
{
    public BpfException(string message) : base(message) { }
    public BpfException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The object file (ELF, BTF, .BTF.ext) is not one we can read.</summary>
public class BpfObjectException : BpfException
{
    public BpfObjectException(string message) : base(message) { }
    public BpfObjectException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A CO-RE relocation could not be resolved against the target BTF.</summary>
public class CoreRelocationException : BpfException
{
    public CoreRelocationException(string message) : base(message) { }
}

/// <summary>A syscall failed: carries the operation (e.g. BPF_MAP_CREATE), the errno and its name.</summary>
public class BpfSyscallException : BpfException
{
    public string Operation { get; }
    public int Errno { get; }
    public string ErrnoName => Interop.Errno.Name(Errno);

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
    public string ProgramName { get; }
    public string VerifierLog { get; }

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
    public string BtfLog { get; }

    public BtfLoadException(int errno, string btfLog)
        : base("BPF_BTF_LOAD", errno, string.IsNullOrWhiteSpace(btfLog) ? null : "BTF log:" + Environment.NewLine + btfLog.TrimEnd())
    {
        BtfLog = btfLog;
    }
}
