using BpfLoader.Interop;
using BpfLoader.Object;
using BpfLoader.Object.Btf;
using Microsoft.Win32.SafeHandles;

namespace BpfLoader.Kernel;

/// <summary>The running kernel's own BTF (vmlinux), read from the file the kernel exposes and parsed by <see cref="BtfSpec"/>.</summary>
public static class KernelBtf
{
    /// <summary>Where the running kernel exposes its own BTF.</summary>
    public const string Path = "/sys/kernel/btf/vmlinux";

    /// <summary>
    /// The running kernel's BTF, mapped read-only where the kernel allows it (no copy of its several MB),
    /// else read; types are decoded on demand. Dispose it when done to unmap it.
    /// </summary>
    public static BtfSpec Load(string path = Path)
    {
        try
        {
            using SafeFileHandle file = File.OpenHandle(path);
            long length = RandomAccess.GetLength(file);
            if (length is > 0 and < int.MaxValue && MemoryMapping.MapReadOnly(file, (nuint)length) is { } mapping)
            {
                var memory = new MappedMemory(mapping);
                try
                {
                    return BtfSpec.Parse(memory.Memory, memory);
                }
                catch
                {
                    ((IDisposable)memory).Dispose();
                    throw;
                }
            }
            return BtfSpec.Parse(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BpfException($"cannot read kernel BTF {path}: {e.Message} (a kernel with CONFIG_DEBUG_INFO_BTF=y is needed)", e);
        }
    }

    /// <summary>
    /// <see cref="Load"/> on a thread of its own, so that indexing the kernel's 100k+ types overlaps the caller's other
    /// start-up work (parsing an object, creating maps); <see cref="KernelBtfLoad.Spec"/> waits for it. Dispose the
    /// result once done with the spec.
    /// </summary>
    public static KernelBtfLoad LoadInBackground(string path = Path) => new(path);
}
