namespace BpfLoader.Programs;

/// <summary>prog_flags for BPF_PROG_LOAD (BPF_F_* in &lt;linux/bpf.h&gt;).</summary>
[Flags]
public enum ProgramFlags : uint
{
    None = 0,
    StrictAlignment = 1U << 0,
    AnyAlignment = 1U << 1,
    TestRndHi32 = 1U << 2,
    TestStateFreq = 1U << 3,
    Sleepable = 1U << 4,
    XdpHasFrags = 1U << 5,
}
