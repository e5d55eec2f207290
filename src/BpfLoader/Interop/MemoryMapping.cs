using System.Runtime.InteropServices;
using BpfLoader.Errors;
using Microsoft.Win32.SafeHandles;

namespace BpfLoader.Interop;

/// <summary>
/// One mmap: a kernel object's shared pages (a perf event's ring, a ring buffer map's pages) or a file read in place.
/// The mapping outlives the fd it came from, so it has its own owner; Dispose unmaps once.
/// </summary>
internal sealed unsafe class MemoryMapping : IDisposable
{
    private byte* _address;

    public nuint Length { get; }

    /// <summary>The first byte; invalid after Dispose.</summary>
    public byte* Address => _address != null ? _address : throw new ObjectDisposedException(nameof(MemoryMapping));

    private MemoryMapping(byte* address, nuint length)
    {
        _address = address;
        Length = length;
    }

    /// <summary>mmap(NULL, length, prot, MAP_SHARED, fd, offset), or a BpfSyscallException naming <paramref name="what"/>.</summary>
    public static MemoryMapping Share(FileDescriptor fd, nuint length, int prot, long offset, string what)
    {
        ArgumentNullException.ThrowIfNull(fd);
        return TryMap(fd, length, prot, Libc.MapShared, offset)
            ?? throw new BpfSyscallException($"mmap {what}", Libc.Errno, $"{length} bytes at offset {offset}");
    }

    /// <summary>
    /// mmap(NULL, length, PROT_READ, MAP_PRIVATE, file, 0): a file read in place, or null where the file
    /// cannot be mapped (older kernels, before about 6.15, do not map /sys/kernel/btf files) and must be read instead.
    /// </summary>
    public static MemoryMapping? MapReadOnly(SafeFileHandle file, nuint length)
    {
        ArgumentNullException.ThrowIfNull(file);
        return length == 0 ? null : TryMap(file, length, Libc.ProtRead, Libc.MapPrivate, 0);
    }

    /// <summary>mmap of the descriptor <paramref name="handle"/> holds (kept open meanwhile), or null with errno set.</summary>
    private static MemoryMapping? TryMap(SafeHandle handle, nuint length, int prot, int flags, long offset)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            void* p = Libc.Mmap(null, length, prot, flags, (int)handle.DangerousGetHandle(), offset);
            return p == Libc.MapFailed ? null : new MemoryMapping((byte*)p, length);
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }

    public void Dispose()
    {
        byte* p = _address;
        _address = null;
        if (p != null)
            _ = Libc.Munmap(p, Length);
    }
}
