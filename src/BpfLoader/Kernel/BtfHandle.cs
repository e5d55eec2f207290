using BpfLoader.Errors;
using BpfLoader.Interop;

namespace BpfLoader.Kernel;

/// <summary>
/// A BTF blob loaded into the kernel (BPF_BTF_LOAD). Maps reference it for key/value types, programs
/// for func_info and line_info; the kernel keeps it alive as long as any of them does.
/// </summary>
public sealed class BtfHandle : IDisposable
{
    /// <summary>The BTF object's fd.</summary>
    internal FileDescriptor Fd { get; }

    private BtfHandle(FileDescriptor fd) => Fd = fd;

    /// <summary>
    /// Loads raw BTF (header, types, strings). On failure loads again with a log, and throws
    /// <see cref="BtfLoadException"/> carrying it.
    /// </summary>
    public static unsafe BtfHandle Load(ReadOnlySpan<byte> btf)
    {
        if (btf.IsEmpty)
            throw new ArgumentException("BTF is empty", nameof(btf));
        fixed (byte* data = btf)
        {
            var attr = new BtfLoadAttr { Btf = (ulong)data, BtfSize = (uint)btf.Length };
            int fd = BpfSyscall.TryInvoke(BpfCommand.BtfLoad, ref attr);
            if (fd >= 0)
                return new BtfHandle(new FileDescriptor(fd));
            if (fd == -Errno.EPERM)
                throw new BpfSyscallException(BpfCommand.BtfLoad.Name(), Errno.EPERM);

            fd = KernelLog.Load(BpfCommand.BtfLoad, ref attr, 1, out string log);
            if (fd >= 0)
                return new BtfHandle(new FileDescriptor(fd));   // rejected before, accepted now: nothing to report
            throw new BtfLoadException(-fd, log);
        }
    }

    /// <summary>Closes the fd; the kernel frees the BTF once no map or program holds it.</summary>
    public void Dispose() => Fd.Dispose();
}
