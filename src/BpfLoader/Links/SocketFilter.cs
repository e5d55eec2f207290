using System.Net.Sockets;
using BpfLoader.Errors;
using BpfLoader.Interop;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;

namespace BpfLoader.Links;

/// <summary>
/// A socket filter program on one socket (setsockopt SO_ATTACH_BPF). The socket holds the program:
/// it stays attached until <see cref="Detach"/> or the socket closes, whatever happens to the
/// <see cref="BpfProgram"/>. There is no link to dispose.
/// </summary>
public static class SocketFilter
{
    /// <summary>Attaches the program to the socket, replacing any filter it had.</summary>
    /// <param name="socket">The socket whose received packets the program sees (and may drop or trim).</param>
    /// <param name="program">A socket filter program.</param>
    public static void Attach(Socket socket, BpfProgram program)
    {
        ArgumentNullException.ThrowIfNull(socket);
        BpfLink.RequireType(program, "a socket", BpfProgramType.SocketFilter);
        using var lease = new FdLease(program.Fd);
        int fd = (int)lease.Value;
        SetOption(socket, Libc.SoAttachBpf, fd, $"{program} to a socket");
    }

    /// <summary>Removes the socket's filter (SO_DETACH_BPF); ENOENT if it had none.</summary>
    /// <param name="socket">The socket.</param>
    public static void Detach(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        SetOption(socket, Libc.SoDetachBpf, 0, "socket filter");
    }

    private static unsafe void SetOption(Socket socket, int option, int value, string detail)
    {
        SafeSocketHandle handle = socket.SafeHandle;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (Libc.SetSockOpt(handle.DangerousGetHandle(), Libc.SolSocket, option, &value, sizeof(int)) != 0)
                throw new BpfSyscallException(option == Libc.SoAttachBpf ? "setsockopt(SO_ATTACH_BPF)" : "setsockopt(SO_DETACH_BPF)", Libc.Errno, detail);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }
}
