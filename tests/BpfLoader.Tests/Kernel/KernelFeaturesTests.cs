using BpfLoader.Errors;
using BpfLoader.Features;
using BpfLoader.Kernel;
using BpfLoader.Maps;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Tests.Kernel;

public class KernelFeaturesTests
{
    /// <summary>Fetching atomics came with Linux 5.12: the probe's program loads from there on.</summary>
    [KernelFact]
    public void The_atomics_probe_agrees_with_the_kernel_release()
    {
        Version release = Environment.OSVersion.Version;
        Assert.Equal(release >= new Version(5, 12), KernelFeatures.HasBpfAtomics);
    }

    [KernelFact]
    public void Probes_agree_with_what_the_kernel_then_does()
    {
        KernelFeatures.EnsureBpfPermitted();
        Assert.Equal(File.Exists("/sys/kernel/btf/vmlinux"), KernelFeatures.HasBtf);

        // The probe's answer must match an attempt at the real thing.
        bool ringBufferWorks;
        try
        {
            using BpfMap ring = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Ringbuf, MaxEntries = (uint)Environment.SystemPageSize });
            ringBufferWorks = true;
        }
        catch (BpfSyscallException)
        {
            ringBufferWorks = false;
        }
        Assert.Equal(ringBufferWorks, KernelFeatures.HasRingBuffer);

        // Likewise the probe that decides whether global data is created BPF_F_MMAPABLE.
        bool mmapableWorks;
        try
        {
            using BpfMap mmapable = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1, Flags = MapFlags.Mmapable });
            mmapableWorks = true;
        }
        catch (BpfSyscallException)
        {
            mmapableWorks = false;
        }
        Assert.Equal(mmapableWorks, GlobalDataMap.KernelCanMapArrays);
    }

    [KernelFact]
    public void Perf_link_probe_matches_how_tracepoints_get_attached()
    {
        using var counting = new CountingProgram("probe_check", BpfProgramType.Tracepoint);
        using var link = BpfLoader.Links.TracepointLink.Attach(counting.Program, "syscalls", "sys_enter_getpid");
        Assert.Equal(KernelFeatures.HasPerfLink, link.IsPerfLink);
    }
}
