using BpfLoader.Errors;
using BpfLoader.Interop;
using BpfLoader.Kernel;
using BpfLoader.Maps;
using BpfLoader.Object;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;

namespace BpfLoader.Features;

/// <summary>
/// What the running kernel supports, each probed once (by creating the smallest object that needs
/// the feature) and cached. A missing capability is not a missing feature: probes throw on EPERM.
/// BPF_LINK_CREATE for tracing programs is not probed here (that needs a BTF target id); TracingLink
/// falls back to BPF_RAW_TRACEPOINT_OPEN by itself.
/// </summary>
public static class KernelFeatures
{
    /// <summary>Where the running kernel exposes its own BTF.</summary>
    public const string VmlinuxBtfPath = KernelBtf.Path;

    private static readonly Lazy<bool> s_btf = new(() => File.Exists(VmlinuxBtfPath));
    private static readonly Lazy<bool> s_ringBuffer = new(ProbeRingBuffer);
    private static readonly Lazy<bool> s_perfLink = new(ProbePerfLink);
    private static readonly Lazy<bool> s_ringBufferMapOfMaps = new(ProbeRingBufferMapOfMaps);
    private static readonly Lazy<bool> s_atomics = new(ProbeAtomics);

    /// <summary>The kernel describes its own types (/sys/kernel/btf/vmlinux): needed for CO-RE and tp_btf.</summary>
    public static bool HasBtf => s_btf.Value;

    /// <summary>BPF_MAP_TYPE_RINGBUF (5.8).</summary>
    public static bool HasRingBuffer => s_ringBuffer.Value;

    /// <summary>Ring buffers held in a BPF_MAP_TYPE_ARRAY_OF_MAPS (5.10), as per-CPU rings need.</summary>
    public static bool HasRingBufferMapOfMaps => s_ringBufferMapOfMaps.Value;

    /// <summary>Atomic instructions that fetch (BPF_XCHG, BPF_CMPXCHG, BPF_FETCH: 5.12), as programs that publish
    /// with an exchange need (<see cref="Rings.RingArray"/>).</summary>
    public static bool HasBpfAtomics => s_atomics.Value;

    /// <summary>BPF_LINK_CREATE with BPF_PERF_EVENT (5.15); without it tracepoints attach by ioctl.</summary>
    public static bool HasPerfLink => s_perfLink.Value;

    /// <summary>
    /// Throws a <see cref="BpfSyscallException"/> naming the missing capability when this process may
    /// not use bpf() at all; call it first to fail with one clear message rather than on some later map.
    /// </summary>
    public static void EnsureBpfPermitted()
    {
        using BpfMap map = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Array, KeySize = 4, ValueSize = 4, MaxEntries = 1, Name = "probe" });
    }

    private static bool ProbeRingBuffer()
    {
        var attr = new MapCreateAttr { BpfMapType = (uint)BpfMapType.Ringbuf, MaxEntries = (uint)Libc.PageSize };
        return Probe(BpfCommand.MapCreate, ref attr);
    }

    private static bool ProbeRingBufferMapOfMaps()
    {
        // Its own ring buffer, not HasRingBuffer's: one map fewer to make on the way.
        var ringAttr = new MapCreateAttr { BpfMapType = (uint)BpfMapType.Ringbuf, MaxEntries = (uint)Libc.PageSize };
        int ring = BpfSyscall.TryInvoke(BpfCommand.MapCreate, ref ringAttr);
        if (ring < 0)
            return false;
        try
        {
            var attr = new MapCreateAttr { BpfMapType = (uint)BpfMapType.ArrayOfMaps, KeySize = 4, ValueSize = 4, MaxEntries = 1, InnerMapFd = (uint)ring };
            return Probe(BpfCommand.MapCreate, ref attr);
        }
        finally
        {
            Libc.Close(ring);
        }
    }

    private static bool ProbePerfLink()
    {
        // A perf link on an invalid perf fd: kernels that know the attach type fail on the fd (EBADF).
        using BpfProgram program = BpfProgram.Load(new ProgramLoadOptions
        {
            Type = BpfProgramType.Tracepoint,
            Name = "probe_perf_link",
            Instructions = ReturnZero,
        });
        using var lease = new FdLease(program.Fd);
        var attr = new LinkCreateAttr { ProgFd = lease.Value, TargetFd = unchecked((uint)-1), BpfAttachType = (uint)BpfAttachType.PerfEvent };
        int result = BpfSyscall.TryInvoke(BpfCommand.LinkCreate, ref attr);
        if (result >= 0)
        {
            Libc.Close(result);
            return true;
        }
        return result == -Errno.EBADF;
    }

    private static bool ProbeAtomics()
    {
        try
        {
            using BpfProgram program = BpfProgram.Load(new ProgramLoadOptions
            {
                Type = BpfProgramType.Tracepoint,
                Name = "probe_atomics",
                Instructions = ExchangeOnStack,
            });
            return true;
        }
        catch (BpfException)
        {
            return false;
        }
    }

    /// <summary>*(u64 *)(r10 - 8) = 0; r1 = 1; r1 = xchg_64(r10 - 8, r1); r0 = 0; exit.</summary>
    private static readonly byte[] ExchangeOnStack =
    [
        0x7a, 0x0a, 0xf8, 0xff, 0, 0, 0, 0,
        0xb7, 0x01, 0, 0, 1, 0, 0, 0,
        0xdb, 0x1a, 0xf8, 0xff, 0xe1, 0, 0, 0,
        0xb7, 0, 0, 0, 0, 0, 0, 0,
        0x95, 0, 0, 0, 0, 0, 0, 0,
    ];

    /// <summary>r0 = 0; exit.</summary>
    private static readonly byte[] ReturnZero = [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];

    private static bool Probe<TAttr>(BpfCommand command, ref TAttr attr) where TAttr : unmanaged
    {
        int fd = BpfSyscall.TryInvoke(command, ref attr);
        if (fd >= 0)
        {
            Libc.Close(fd);
            return true;
        }
        if (fd == -Errno.EPERM)
            throw new BpfSyscallException(command.Name(), Errno.EPERM, "probing kernel features");
        return false;
    }
}
