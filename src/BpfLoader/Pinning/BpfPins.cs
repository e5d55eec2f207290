using System.Runtime.InteropServices;
using BpfLoader.Errors;
using BpfLoader.Interop;
using BpfLoader.Links;
using BpfLoader.Maps;
using BpfLoader.Object;
using BpfLoader.Programs;

namespace BpfLoader.Pinning;

/// <summary>
/// Sharing kernel objects beyond one process: pin maps, programs and links on a bpffs (BPF_OBJ_PIN),
/// remove pins, and open objects again from a pin (BPF_OBJ_GET), from their id
/// (BPF_*_GET_FD_BY_ID, needs CAP_SYS_ADMIN) or from an fd another component handed over (duplicated).
/// Every object opened here is owned by the caller, who disposes it; the pin keeps the object alive.
/// </summary>
public static class BpfPins
{
    /// <summary>Where libbpf pins maps marked LIBBPF_PIN_BY_NAME, and the default of <see cref="CollectionOptions.PinPath"/>.</summary>
    public const string DefaultPath = "/sys/fs/bpf";

    /// <summary>BPF_OBJ_PIN: pins the map at a path on a mounted bpffs.</summary>
    /// <param name="map">The map.</param>
    /// <param name="path">The new pin's path; its directory must exist on a bpffs, and the path must not.</param>
    public static void Pin(BpfMap map, string path)
    {
        ArgumentNullException.ThrowIfNull(map);
        ObjectPins.Pin(map.Fd, path, $"map '{map.Name}'");
    }

    /// <summary>BPF_OBJ_PIN: pins the program at a path on a mounted bpffs.</summary>
    /// <param name="program">The program.</param>
    /// <param name="path">The new pin's path; its directory must exist on a bpffs, and the path must not.</param>
    public static void Pin(BpfProgram program, string path)
    {
        ArgumentNullException.ThrowIfNull(program);
        ObjectPins.Pin(program.Fd, path, program.ToString());
    }

    /// <summary>BPF_OBJ_PIN: pins the link (and so its attachment) at a path on a mounted bpffs.</summary>
    /// <param name="link">The link.</param>
    /// <param name="path">The new pin's path; its directory must exist on a bpffs, and the path must not.</param>
    public static void Pin(BpfLink link, string path)
    {
        ArgumentNullException.ThrowIfNull(link);
        link.Pin(path);
    }

    /// <summary>Removes a pin (unlinks the bpffs file): the object lives on while anything else holds it.</summary>
    /// <param name="path">The pin's path.</param>
    public static void Unpin(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            File.Delete(path);
            if (File.Exists(path)) throw new IOException($"{path} is still there");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BpfException($"unpinning {path}: {e.Message}", e);
        }
    }

    /// <summary>True when a pin (or anything else) exists at the path.</summary>
    /// <param name="path">The path.</param>
    public static bool Exists(string path) => File.Exists(path);

    /// <summary>BPF_OBJ_GET: the map pinned at the path.</summary>
    /// <param name="path">The pin's path.</param>
    public static BpfMap OpenMap(string path) => MapFromFd(ObjectPins.Get(path), path);

    /// <summary>BPF_OBJ_GET: the program pinned at the path.</summary>
    /// <param name="path">The pin's path.</param>
    public static BpfProgram OpenProgram(string path) => ProgramFromFd(ObjectPins.Get(path), path);

    /// <summary>BPF_OBJ_GET: the link pinned at the path. Disposing it does not detach while the pin stays.</summary>
    /// <param name="path">The pin's path.</param>
    public static BpfLink OpenLink(string path) => LinkFromFd(ObjectPins.Get(path), path);

    /// <summary>BPF_MAP_GET_FD_BY_ID: the map with this id (e.g. from bpftool map list).</summary>
    /// <param name="id">The map's id.</param>
    public static BpfMap OpenMap(uint id) => MapFromFd(GetFdById(BpfCommand.MapGetFdById, id, $"map id {id}"), $"map id {id}");

    /// <summary>BPF_PROG_GET_FD_BY_ID: the program with this id.</summary>
    /// <param name="id">The program's id (<see cref="ProgramInfo.Id"/>).</param>
    public static BpfProgram OpenProgram(uint id) => ProgramFromFd(GetFdById(BpfCommand.ProgGetFdById, id, $"program id {id}"), $"program id {id}");

    /// <summary>BPF_LINK_GET_FD_BY_ID: the link with this id (<see cref="BpfLinkInfo.Id"/>).</summary>
    /// <param name="id">The link's id.</param>
    public static BpfLink OpenLink(uint id) => LinkFromFd(GetFdById(BpfCommand.LinkGetFdById, id, $"link id {id}"), $"link id {id}");

    /// <summary>
    /// The map behind a handle another component owns (received over SCM_RIGHTS, or from another library's
    /// <c>DuplicateHandle</c>): the descriptor is duplicated, the caller keeps and closes its own.
    /// </summary>
    /// <param name="handle">An open map descriptor.</param>
    public static BpfMap MapFromHandle(SafeHandle handle) => MapFromFd(Duplicate(handle), "handle");

    /// <summary>
    /// The program behind a handle another component owns (received over SCM_RIGHTS, or from another library's
    /// <c>DuplicateHandle</c>): the descriptor is duplicated, the caller keeps and closes its own.
    /// </summary>
    /// <param name="handle">An open program descriptor.</param>
    public static BpfProgram ProgramFromHandle(SafeHandle handle) => ProgramFromFd(Duplicate(handle), "handle");

    /// <summary>
    /// The link behind a handle another component owns (received over SCM_RIGHTS, or from another library's
    /// <c>DuplicateHandle</c>): the descriptor is duplicated, the caller keeps and closes its own.
    /// </summary>
    /// <param name="handle">An open link descriptor.</param>
    public static BpfLink LinkFromHandle(SafeHandle handle) => LinkFromFd(Duplicate(handle), "handle");

    /// <summary>The map behind an fd this method now owns (closed if it is not a map).</summary>
    internal static BpfMap MapFromFd(FileDescriptor fd, string source) =>
        Adopt(fd, source, "map", (MapInfo info) => BpfMap.FromKernel(fd, info));

    private static BpfProgram ProgramFromFd(FileDescriptor fd, string source) =>
        Adopt(fd, source, "program", (ProgInfo info) => BpfProgram.FromKernel(fd, info));

    private static KernelLink LinkFromFd(FileDescriptor fd, string source) =>
        Adopt(fd, source, "link", (LinkInfo info) =>
            new KernelLink(fd, $"link {info.Id} (type {info.Type}, program {info.ProgId}) from {source}"));

    /// <summary>Wraps an fd this method now owns once the kernel confirms its <paramref name="kind"/>; closes it otherwise.</summary>
    private static T Adopt<TInfo, T>(FileDescriptor fd, string source, string kind, Func<TInfo, T> wrap) where TInfo : unmanaged
    {
        try
        {
            TInfo info = default;
            ReadInfo(fd, ref info, source, kind);
            return wrap(info);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>BPF_OBJ_GET_INFO_BY_FD; EINVAL there means the fd is some other kind of object.</summary>
    private static void ReadInfo<TInfo>(FileDescriptor fd, ref TInfo info, string source, string kind) where TInfo : unmanaged
    {
        try
        {
            ObjectInfo.Get(fd, ref info, $"{source} as a {kind}");
        }
        catch (BpfSyscallException e) when (e.Errno == Errno.EINVAL)
        {
            throw new BpfException($"{source} is not a BPF {kind}", e);
        }
        // Each info struct starts with a type field, a map's at 0 and a program's too; a wrong kind of object
        // fills a struct of another layout, so check the kind by the fd's anon-inode name instead.
        string link = ReadFdLink(fd);
        // Links are "bpf_link" before 6.x and "bpf-link" since.
        string expected = kind switch { "map" => "bpf-map", "program" => "bpf-prog", _ => "bpf-link" };
        if (link.Length > 0 && !link.Replace('_', '-').Contains(expected, StringComparison.Ordinal))
            throw new BpfException($"{source} is not a BPF {kind} ({link})");
    }

    private static string ReadFdLink(FileDescriptor fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd.Value}").LinkTarget ?? "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static unsafe FileDescriptor GetFdById(BpfCommand command, uint id, string what)
    {
        var attr = new GetFdByIdAttr { StartId = id };
        return BpfSyscall.InvokeForFd(command, ref attr, what);
    }

    private static FileDescriptor Duplicate(SafeHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ObjectDisposedException.ThrowIf(handle.IsClosed, handle);
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            return FileDescriptor.Duplicate((int)handle.DangerousGetHandle());
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }
}
