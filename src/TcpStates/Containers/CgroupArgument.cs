using BpfLoader.Errors;
using BpfLoader.Interop;

namespace TcpStates.Containers;

/// <summary>--cgroup: a directory on the cgroup v2 file system; on cgroup2 a directory's inode is the cgroup's id.</summary>
public static class CgroupArgument
{
    /// <summary>The cgroup's id, or false with a one-line reason.</summary>
    public static bool TryResolve(string path, out ulong id, out string? error)
    {
        id = 0;
        error = null;
        if (!Directory.Exists(path))
        {
            error = $"'{path}': no such directory (expected a cgroup v2 directory such as /sys/fs/cgroup/system.slice)";
            return false;
        }
        if (!FileSystemCalls.TryGetFileSystemType(path, out long type, out int errno))
        {
            error = $"'{path}': cannot stat its file system ({Errno.Name(errno)}: {Errno.Describe(errno)})";
            return false;
        }
        if (type != FileSystemCalls.Cgroup2SuperMagic)
        {
            error = $"'{path}' is not on a cgroup v2 file system (expected a directory such as /sys/fs/cgroup/system.slice)";
            return false;
        }
        if (!FileSystemCalls.TryGetInode(path, out id, out errno))
        {
            error = $"'{path}': cannot read its inode ({Errno.Name(errno)}: {Errno.Describe(errno)})";
            return false;
        }
        return true;
    }
}
