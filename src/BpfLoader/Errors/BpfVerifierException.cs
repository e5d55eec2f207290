namespace BpfLoader.Errors;

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
