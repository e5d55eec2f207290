using System.Runtime.InteropServices;

namespace BpfLoader.Tests.Pinning;

/// <summary>A bpffs of the test's own, mounted on a temporary directory (never /sys/fs/bpf) and unmounted after.</summary>
internal sealed partial class TempBpffs : IDisposable
{
    private const int MntDetach = 2;

    public string Path { get; }

    public TempBpffs()
    {
        Path = Directory.CreateTempSubdirectory("bpfloader-pins-").FullName;
        if (Mount("bpf", Path, "bpf", 0, 0) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Directory.Delete(Path);
            throw new InvalidOperationException($"mount bpf on {Path}: errno {errno}");
        }
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        // Unmounting drops every pin left in it (the objects die with their last reference).
        Umount2(Path, MntDetach);
        Directory.Delete(Path);
    }

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string source, string target, string fsType, ulong flags, nint data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);
}
