using System.Runtime.InteropServices;
using BpfLoader.Errors;
using BpfLoader.Features;
using BpfLoader.Kernel;

namespace BpfLoader.Tests.Kernel;

/// <summary>
/// Capabilities are per thread: a thread of our own drops all effective capabilities, so bpf() there
/// fails as it would for an unprivileged user, without touching the rest of the test run.
/// </summary>
public partial class CapabilityTests
{
    [KernelFact]
    public void Without_capabilities_bpf_fails_with_a_message_naming_them()
    {
        Exception? thrown = null;
        var thread = new Thread(() =>
        {
            try
            {
                DropEffectiveCapabilities();
                KernelFeatures.EnsureBpfPermitted();
            }
            catch (Exception e)
            {
                thrown = e;
            }
        });
        thread.Start();
        thread.Join();

        var e = Assert.IsType<BpfSyscallException>(thrown);
        Assert.Equal("EPERM", e.ErrnoName);
        Assert.Equal("BPF_MAP_CREATE", e.Operation);
        Assert.Contains("CAP_BPF", e.Message, StringComparison.Ordinal);
    }

    private const uint LinuxCapabilityVersion3 = 0x20080522;

    private static unsafe void DropEffectiveCapabilities()
    {
        uint* header = stackalloc uint[2] { LinuxCapabilityVersion3, 0 };
        uint* data = stackalloc uint[6];   // two {effective, permitted, inheritable} words
        if (CapGet(header, data) != 0)
            throw new InvalidOperationException("capget failed");
        data[0] = 0;   // effective, low word
        data[3] = 0;   // effective, high word
        if (CapSet(header, data) != 0)
            throw new InvalidOperationException("capset failed: " + Marshal.GetLastPInvokeError());
    }

    [LibraryImport("libc", EntryPoint = "capget", SetLastError = true)]
    private static unsafe partial int CapGet(uint* header, uint* data);

    [LibraryImport("libc", EntryPoint = "capset", SetLastError = true)]
    private static unsafe partial int CapSet(uint* header, uint* data);
}
