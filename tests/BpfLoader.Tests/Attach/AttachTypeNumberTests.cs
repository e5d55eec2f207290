using BpfLoader.Kernel;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Tests.Btf;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Tests.Attach;

/// <summary>
/// Attach types newer than the installed UAPI headers (tcx, unix-socket cgroup hooks), checked against
/// the running kernel's own enum bpf_attach_type in its BTF.
/// </summary>
public sealed class AttachTypeNumberTests
{
    [KernelBtfFact]
    public void Every_attach_type_number_is_the_running_kernels()
    {
        using BtfSpec kernel = KernelBtf.Load();
        BtfType e = kernel.TypesByName("bpf_attach_type").Single(t => t.Kind == BtfKind.Enum);
        var kernelValues = e.EnumValues.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        var wrong = new List<string>();
        foreach (BpfAttachType type in Enum.GetValues<BpfAttachType>().Where(t => t != BpfAttachType.None))
        {
            string name = UapiName(type);
            if (!kernelValues.TryGetValue(name, out long value))
                wrong.Add($"{type}: the kernel has no {name}");
            else if (value != (long)type)
                wrong.Add($"{type} = {(long)type}, the kernel's {name} = {value}");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    private static string UapiName(BpfAttachType type) => type switch
    {
        BpfAttachType.CgroupInetIngress => "BPF_CGROUP_INET_INGRESS",
        BpfAttachType.Xdp => "BPF_XDP",
        BpfAttachType.TcxIngress => "BPF_TCX_INGRESS",
        BpfAttachType.TcxEgress => "BPF_TCX_EGRESS",
        _ => "BPF_" + System.Text.RegularExpressions.Regex.Replace(type.ToString(), "(?<=[a-z0-9])(?=[A-Z])", "_").ToUpperInvariant(),
    };
}
