using System.Text;

namespace BpfLoader.Interop;

/// <summary>BPF_OBJ_PIN and BPF_OBJ_GET on a bpffs path, for maps, programs and links alike.</summary>
internal static class ObjectPins
{
    /// <summary>Pins the object behind <paramref name="fd"/> at <paramref name="path"/>; <paramref name="what"/> names it in errors.</summary>
    public static unsafe void Pin(FileDescriptor fd, string path, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] name = Utf8Path(path);
        using var lease = new FdLease(fd);
        fixed (byte* p = name)
        {
            var attr = new ObjPinAttr { Pathname = (ulong)p, BpfFd = lease.Value };
            BpfSyscall.Invoke(BpfCommand.ObjPin, ref attr, $"{what} at {path}");
        }
    }

    /// <summary>A new fd for the object pinned at <paramref name="path"/>.</summary>
    public static unsafe FileDescriptor Get(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] name = Utf8Path(path);
        fixed (byte* p = name)
        {
            var attr = new ObjPinAttr { Pathname = (ulong)p };
            return BpfSyscall.InvokeForFd(BpfCommand.ObjGet, ref attr, path);
        }
    }

    private static byte[] Utf8Path(string path)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }
}
