using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>struct perf_event_attr (PERF_ATTR_SIZE_VER8, 136 bytes), as in &lt;linux/perf_event.h&gt;.</summary>
[StructLayout(LayoutKind.Explicit, Size = 136)]
internal struct PerfEventAttr
{
    [FieldOffset(0)] public uint Type;
    [FieldOffset(4)] public uint Size;
    [FieldOffset(8)] public ulong Config;
    [FieldOffset(16)] public ulong SamplePeriod;      // or sample_freq
    [FieldOffset(24)] public ulong SampleType;
    [FieldOffset(32)] public ulong ReadFormat;
    [FieldOffset(40)] public ulong Flags;             // the bitfield word: disabled, inherit, ..., watermark
    [FieldOffset(48)] public uint WakeupEvents;       // or wakeup_watermark
    [FieldOffset(52)] public uint BpType;
    [FieldOffset(56)] public ulong Config1;
    [FieldOffset(64)] public ulong Config2;
    [FieldOffset(72)] public ulong BranchSampleType;
    [FieldOffset(80)] public ulong SampleRegsUser;
    [FieldOffset(88)] public uint SampleStackUser;
    [FieldOffset(92)] public int ClockId;
    [FieldOffset(96)] public ulong SampleRegsIntr;
    [FieldOffset(104)] public uint AuxWatermark;
    [FieldOffset(108)] public ushort SampleMaxStack;
    [FieldOffset(112)] public uint AuxSampleSize;
    [FieldOffset(120)] public ulong SigData;
    [FieldOffset(128)] public ulong Config3;

    public const uint SizeVer8 = 136;

    /// <summary>A tracepoint's perf event (tracefs events/CAT/NAME/id): counting, unless fields are set for more.</summary>
    public static PerfEventAttr Tracepoint(ulong id) => new() { Type = TypeTracepoint, Size = SizeVer8, Config = id };

    // perf_type_id
    public const uint TypeHardware = 0, TypeSoftware = 1, TypeTracepoint = 2;
    // perf_sw_ids
    public const ulong SwCpuClock = 0;
    public const ulong SwTaskClock = 1;
    public const ulong SwBpfOutput = 10;
    // perf_event_sample_format
    public const ulong SampleRaw = 1UL << 10;
    // bits of the flags word
    public const ulong FlagDisabled = 1UL << 0;
    public const ulong FlagWatermark = 1UL << 14;

    public const int PerfFlagFdCloexec = 1 << 3;   // PERF_FLAG_FD_CLOEXEC

    // ioctls: _IO('$', n) and _IOW('$', 8, __u32)
    public const ulong IocEnable = 0x2400;
    public const ulong IocDisable = 0x2401;
    public const ulong IocSetBpf = 0x40042408;
}

internal static unsafe partial class Libc
{
    /// <summary>perf_event_open(2); returns the fd or -1 with errno set.</summary>
    internal static int PerfEventOpen(ref PerfEventAttr attr, int pid, int cpu, int groupFd, ulong flags)
    {
        fixed (PerfEventAttr* p = &attr)
        {
            return (int)Syscall(SysPerfEventOpen, (long)p, pid, cpu, groupFd, (long)flags);
        }
    }
}
