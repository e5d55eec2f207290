using System.Reflection;
using System.Runtime.InteropServices;
using BpfLoader.Tests.Portability;
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

    private static long Offset<T>(string field) => (long)Marshal.OffsetOf<T>(field);
}
