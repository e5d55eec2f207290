using TcpStates.Posix;

namespace TcpStates.Output;

/// <summary>-Y, but the journal's socket cannot be reached: say that the journal is not running, not the errno's text alone.</summary>
public sealed class JournalUnavailableException : SystemError
{
    public JournalUnavailableException(string socketPath, int errno)
        : base("connect to " + socketPath, errno)
    {
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    public override string Message => Errno switch
    {
        ENOENT => $"cannot log to the systemd journal: it is not running (no socket at {SocketPath})",
        ECONNREFUSED => $"cannot log to the systemd journal: it is not running (nothing listens on {SocketPath})",
        _ => $"cannot log to the systemd journal at {SocketPath}: {Name(Errno)} ({Describe(Errno)})",
    };
}
