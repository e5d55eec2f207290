namespace BpfLoader.Errors;

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
