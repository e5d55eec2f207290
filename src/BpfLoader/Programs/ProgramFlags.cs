namespace BpfLoader.Programs;

/// <summary>prog_flags for BPF_PROG_LOAD (BPF_F_* in &lt;linux/bpf.h&gt;).</summary>
[Flags]
public enum ProgramFlags : uint
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>BPF_F_STRICT_ALIGNMENT: check alignment as on strict architectures.</summary>
    StrictAlignment = 1U << 0,
    /// <summary>BPF_F_ANY_ALIGNMENT: skip alignment checks (tests only).</summary>
    AnyAlignment = 1U << 1,
    /// <summary>BPF_F_TEST_RND_HI32: randomize upper halves of 32-bit results (verifier tests).</summary>
    TestRndHi32 = 1U << 2,
    /// <summary>BPF_F_TEST_STATE_FREQ: verifier state pruning at every instruction (tests).</summary>
    TestStateFreq = 1U << 3,
    /// <summary>BPF_F_SLEEPABLE: the program may sleep (fentry, LSM, uprobes that fault pages).</summary>
    Sleepable = 1U << 4,
    /// <summary>BPF_F_XDP_HAS_FRAGS: the XDP program handles multi-buffer packets.</summary>
    XdpHasFrags = 1U << 5,
}
