using TcpStates.Posix;

namespace TcpStates.Output;

/// <summary>
/// Grows the pipe that stdout writes into (F_SETPIPE_SZ). At the default 64 KiB a burst of events fills
/// it within milliseconds, and every write then waits for the reader (a grep, a terminal) while the
/// kernel's ring fills behind us. Best effort: stdout that is not a pipe, or a pipe at the system's
/// limit, stays as it is.
/// </summary>
internal static class PipeCapacity
{
    private const int Wanted = 1 << 20;    // /proc/sys/fs/pipe-max-size's default

    public static void Grow(int fd) => _ = Libc.Fcntl(fd, Libc.FSetPipeSz, Wanted);
}
