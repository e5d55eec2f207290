using BpfLoader.Object.Btf;

namespace BpfLoader.Object.Tests.Btf;

/// <summary>The running kernel's BTF as plain bytes: the object layer parses what it is given, it opens no kernel file.</summary>
public static class Vmlinux
{
    /// <summary>Where the kernel exposes its BTF.</summary>
    public const string Path = "/sys/kernel/btf/vmlinux";

    /// <summary>The file's bytes, parsed.</summary>
    public static BtfSpec Load() => BtfSpec.Parse(File.ReadAllBytes(Path));
}
