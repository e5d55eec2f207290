namespace BpfLoader.Programs;

/// <summary>enum bpf_attach_type, with the UAPI numbers (the ones a tracing tool meets, plus the cgroup basics).</summary>
public enum AttachType : uint
{
    /// <summary>BPF_CGROUP_INET_INGRESS, which is also 0: "no expected attach type" for most program types.</summary>
    None = 0,
    CgroupInetEgress = 1,
    CgroupInetSockCreate = 2,
    TraceRawTp = 23,
    TraceFentry = 24,
    TraceFexit = 25,
    ModifyReturn = 26,
    LsmMac = 27,
    TraceIter = 28,
    PerfEvent = 41,
    TraceKprobeMulti = 42,
}
