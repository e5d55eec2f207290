using System.Globalization;
using BpfLoader.Errors;
using BpfLoader.Interop;

namespace TcpStates.Containers;

/// <summary>--netns: a network namespace named by its inode, or by a file of it (/proc/PID/ns/net, /run/netns/NAME).</summary>
public static class NetworkNamespaceArgument
{
    /// <summary>What ioctl(NS_GET_NSTYPE) says of a file that is not a namespace.</summary>
    internal const int ENOTTY = 25;

    /// <summary>The namespace's inode (as ls -l /proc/PID/ns/net shows it), or false with a one-line reason.</summary>
    public static bool TryResolve(string value, out uint inode, out string? error)
    {
        inode = 0;
        error = null;
        if (value.Length > 0 && value.All(char.IsAsciiDigit))
        {
            if (uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out inode) && inode != 0)
                return true;
            error = $"invalid network namespace inode '{value}' (expected 1-4294967295 or a path such as /proc/PID/ns/net)";
            return false;
        }
        int type = FileSystemCalls.GetNamespaceType(value, out int errno);
        if (type < 0)
        {
            error = errno switch
            {
                Errno.ENOENT => $"'{value}': no such file (expected an inode or a path such as /proc/PID/ns/net or /run/netns/NAME)",
                ENOTTY or Errno.EINVAL => $"'{value}' is not a namespace file (expected /proc/PID/ns/net or /run/netns/NAME)",
                _ => $"'{value}': cannot open it ({Errno.Name(errno)}: {Errno.Describe(errno)})",
            };
            return false;
        }
        if (type != FileSystemCalls.CloneNewNet)
        {
            error = $"'{value}' is a namespace, but not a network namespace";
            return false;
        }
        if (!FileSystemCalls.TryGetInode(value, out ulong found, out errno) || found == 0 || found > uint.MaxValue)
        {
            error = $"'{value}': cannot read its inode ({Errno.Name(errno)})";
            return false;
        }
        inode = (uint)found;
        return true;
    }
}
