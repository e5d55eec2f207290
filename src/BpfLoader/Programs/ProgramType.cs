namespace BpfLoader.Programs;

/// <summary>enum bpf_prog_type, with the UAPI numbers.</summary>
public enum ProgramType : uint
{
    Unspec = 0,
    SocketFilter = 1,
    Kprobe = 2,
    SchedCls = 3,
    SchedAct = 4,
    Tracepoint = 5,
    Xdp = 6,
    PerfEvent = 7,
    CgroupSkb = 8,
    CgroupSock = 9,
    RawTracepoint = 17,
    CgroupSockAddr = 18,
    RawTracepointWritable = 24,
    Tracing = 26,
    StructOps = 27,
    Ext = 28,
    Lsm = 29,
    SkLookup = 30,
    Syscall = 31,
}
