namespace BpfLoader.Interop;

/// <summary>An attr with a log buffer the kernel writes into (BPF_PROG_LOAD's verifier log, BPF_BTF_LOAD's log).</summary>
internal interface IKernelLogAttr
{
    void SetLog(ulong buffer, uint size, uint level);
}
