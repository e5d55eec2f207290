using System.Reflection;
using System.Runtime.InteropServices;
using BpfLoader.Tests.Portability;
using TcpStates.Containers;
using TcpStates.Posix;

namespace TcpStates.Tests.Portability;

/// <summary>
/// The tool's own libc surface (stdout writes, the journal's socket, signals, priority), checked against the real
/// headers of x86-64 and aarch64, as BpfLoader's InteropLayoutTests check the loader's.
/// </summary>
public sealed class LibcLayoutTests
{
    private static readonly string[] Includes =
    [
        "stddef.h", "errno.h", "fcntl.h", "poll.h", "signal.h", "sys/eventfd.h", "sys/resource.h", "sys/socket.h",
        "sys/uio.h",
    ];

    [Theory]
    [InlineData("x86_64-linux-gnu")]
    [InlineData("aarch64-linux-gnu")]
    public void Every_struct_flag_and_errno_of_the_tools_libc_calls_is_the_headers(string triple)
    {
        var checks = new List<(string What, string C, long CSharp)>
        {
            ("struct pollfd size", "sizeof(struct pollfd)", Marshal.SizeOf<Libc.PollFd>()),
            ("pollfd.fd", "offsetof(struct pollfd, fd)", Offset<Libc.PollFd>(nameof(Libc.PollFd.Fd))),
            ("pollfd.events", "offsetof(struct pollfd, events)", Offset<Libc.PollFd>(nameof(Libc.PollFd.Events))),
            ("pollfd.revents", "offsetof(struct pollfd, revents)", Offset<Libc.PollFd>(nameof(Libc.PollFd.Returned))),
            ("struct iovec size", "sizeof(struct iovec)", Marshal.SizeOf<Libc.IoVec>()),
            ("iovec.iov_base", "offsetof(struct iovec, iov_base)", Offset<Libc.IoVec>(nameof(Libc.IoVec.Base))),
            ("iovec.iov_len", "offsetof(struct iovec, iov_len)", Offset<Libc.IoVec>(nameof(Libc.IoVec.Length))),
            ("F_GETFD", "F_GETFD", Libc.FGetFd),
            ("F_GETPIPE_SZ", "F_GETPIPE_SZ", Libc.FGetPipeSz),
            ("F_SETPIPE_SZ", "F_SETPIPE_SZ", Libc.FSetPipeSz),
            ("POLLIN", "POLLIN", Libc.PollIn),
            ("POLLOUT", "POLLOUT", Libc.PollOut),
            ("POLLERR", "POLLERR", Libc.PollErr),
            ("POLLHUP", "POLLHUP", Libc.PollHup),
            ("POLLNVAL", "POLLNVAL", Libc.PollNval),
            ("AF_UNIX", "AF_UNIX", Libc.AfUnix),
            ("SOCK_DGRAM", "SOCK_DGRAM", Libc.SockDgram),
            ("SOCK_NONBLOCK", "SOCK_NONBLOCK", Libc.SockNonblock),
            ("SOCK_CLOEXEC", "SOCK_CLOEXEC", Libc.SockCloexec),
            ("MSG_DONTWAIT", "MSG_DONTWAIT", Libc.MsgDontwait),
            ("MSG_NOSIGNAL", "MSG_NOSIGNAL", Libc.MsgNosignal),
            ("SOL_SOCKET", "SOL_SOCKET", Libc.SolSocket),
            ("SO_TYPE", "SO_TYPE", Libc.SoType),
            ("EFD_CLOEXEC", "EFD_CLOEXEC", Libc.EfdCloexec),
            ("EFD_NONBLOCK", "EFD_NONBLOCK", Libc.EfdNonblock),
            ("SIGINT", "SIGINT", Libc.Sigint),
            ("SIGTERM", "SIGTERM", Libc.Sigterm),
            ("PRIO_PROCESS", "PRIO_PROCESS", Libc.PrioProcess),
            ("RWF_NOWAIT", "RWF_NOWAIT", Libc.RwfNowait),
        };
        // Every errno the tool names.
        foreach (FieldInfo f in typeof(SystemError).GetFields(BindingFlags.Public | BindingFlags.Static)
                     .Where(f => f.IsLiteral))
            checks.Add((f.Name, f.Name, (int)f.GetRawConstantValue()!));

        CProbe.AssertSameAsHeaders(triple, Includes, checks, defines: ["_GNU_SOURCE"]);
    }

    [Theory]
    [InlineData(Architecture.X64, "x86_64-linux-gnu")]
    [InlineData(Architecture.Arm64, "aarch64-linux-gnu")]
    public void The_file_system_and_signal_calls_use_the_headers_flags_and_layouts(Architecture architecture, string triple)
    {
        string[] includes =
        [
            "stddef.h", "errno.h", "fcntl.h", "sched.h", "signal.h", "sys/stat.h", "sys/statfs.h", "linux/magic.h",
            "linux/nsfs.h",
        ];
        const int buffer = FileSystemCalls.StatBufferSize;
        var checks = new List<(string What, string C, long CSharp)>
        {
            ("O_RDONLY", "O_RDONLY", FileSystemCalls.ORdOnly),
            ("O_CLOEXEC", "O_CLOEXEC", FileSystemCalls.OCloExec),
            ("O_PATH", "O_PATH", FileSystemCalls.OPath),
            ("O_DIRECTORY", "O_DIRECTORY", FileSystemCalls.DirectoryFlagFor(architecture)),
            ("AT_FDCWD", "AT_FDCWD", FileSystemCalls.AtFdCwd),
            ("STATX_INO", "STATX_INO", FileSystemCalls.StatxIno),
            ("statx.stx_ino", "offsetof(struct statx, stx_ino)", FileSystemCalls.StxInoOffset),
            ("statx.stx_ino size", "sizeof(((struct statx *)0)->stx_ino)", sizeof(ulong)),
            ("struct statx fits", $"sizeof(struct statx) <= {buffer}", 1),
            ("statfs.f_type", "offsetof(struct statfs, f_type)", 0),
            ("statfs.f_type size", "sizeof(((struct statfs *)0)->f_type)", sizeof(long)),
            ("struct statfs fits", $"sizeof(struct statfs) <= {buffer}", 1),
            ("CGROUP2_SUPER_MAGIC", "CGROUP2_SUPER_MAGIC", FileSystemCalls.Cgroup2SuperMagic),
            ("CLONE_NEWNET", "CLONE_NEWNET", FileSystemCalls.CloneNewNet),
            ("NS_GET_NSTYPE", "NS_GET_NSTYPE", (long)FileSystemCalls.NsGetNsType),
            ("ESTALE", "ESTALE", FileSystemCalls.ESTALE),
            ("ENOTTY", "ENOTTY", NetworkNamespaceArgument.ENOTTY),
            ("file_handle.handle_type", "offsetof(struct file_handle, handle_type)", sizeof(uint)),
            ("file_handle.f_handle", "offsetof(struct file_handle, f_handle)", FileSystemCalls.FileHandleHeaderSize),
            ("SIG_BLOCK", "SIG_BLOCK", StopSignals.SigBlock),
            ("sigset_t size", "sizeof(sigset_t)", StopSignals.SigSetWords * sizeof(ulong)),
        };
        CProbe.AssertSameAsHeaders(triple, includes, checks, defines: ["_GNU_SOURCE"]);
    }

    private static long Offset<T>(string field) => (long)Marshal.OffsetOf<T>(field);
}
