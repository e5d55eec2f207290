using TcpStates.Posix;

namespace TcpStates.Output;

/// <summary>
/// The events' output over an inherited descriptor (stdout), written with write(2). A regular file is thus written
/// at the descriptor's own offset, shared with the shell and with stderr when both are the same open file (a
/// FileStream keeps a private offset and writes there with pwrite, overwriting what others wrote).
/// A reader that stops reading cannot keep the tool from ending: a pipe or a socket is written without waiting
/// (RWF_NOWAIT: as much as it takes), and when it takes no more the tool waits, with poll(2), for room or for the stop
/// (where the kernel has no RWF_NOWAIT for it, before each write of at most PIPE_BUF); once stopped it waits at most
/// <see cref="StopGraceMs"/> for room, then gives up with <see cref="OutputStalledException"/>.
/// Errors are <see cref="SystemError"/>s naming the errno.
/// </summary>
public sealed unsafe class DescriptorOutput : Stream
{
    /// <summary>How long a write may wait for a reader once the tool was told to stop.</summary>
    public const int StopGraceMs = 2000;
    /// <summary>PIPE_BUF: a pipe that polls writable takes this much without blocking.</summary>
    private const int PipeChunk = 4096;
    private const string Operation = "write to standard output";

    private readonly int _fd;
    private readonly int _stopEvent;
    private readonly bool _mayBlock;
    private bool _noWait = true;
    private readonly CancellationTokenRegistration _onStop;
    private volatile bool _stopped;

    /// <param name="fd">The descriptor, not owned (stdout stays open).</param>
    /// <param name="stop">Cancelled when the tool is told to stop (SIGINT, SIGTERM).</param>
    public DescriptorOutput(int fd, CancellationToken stop)
    {
        _fd = fd;
        _mayBlock = IsPipe(fd) || IsSocket(fd);
        _stopEvent = Libc.EventFd(0, Libc.EfdCloexec | Libc.EfdNonblock);
        if (_stopEvent < 0)
            throw new SystemError("eventfd", Libc.Errno);
        // Registered now, so that the stop itself allocates nothing.
        _onStop = stop.Register(Wake);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int chunk = buffer.Length;
            bool noWait = _mayBlock && _noWait;
            if (_mayBlock && !noWait)
            {
                WaitForRoom();
                chunk = Math.Min(chunk, PipeChunk);
            }
            nint written;
            fixed (byte* p = buffer)
            {
                if (noWait)
                {
                    var vector = new Libc.IoVec { Base = p, Length = (nuint)chunk };
                    written = Libc.PWriteV2(_fd, &vector, 1, -1, Libc.RwfNowait);
                }
                else
                {
                    written = Libc.Write(_fd, p, (nuint)chunk);
                }
            }
            WriteCalls++;
            if (written < 0)
            {
                int errno = Libc.Errno;
                if (noWait && errno is SystemError.EOPNOTSUPP or SystemError.EINVAL or SystemError.ENOSYS)
                {
                    _noWait = false;   // a kernel without RWF_NOWAIT for this descriptor (pipes before 6.4)
                    continue;
                }
                if (noWait && errno == SystemError.EAGAIN)
                {
                    WaitForRoom();
                    continue;
                }
                if (errno is SystemError.EINTR or SystemError.EAGAIN)
                    continue;   // EAGAIN: stdout was left non-blocking by whoever opened it; poll waits
                throw new SystemError(Operation, errno);
            }
            buffer = buffer[(int)written..];
            if (noWait && written < chunk)
                WaitForRoom();   // it took what fitted: full now
        }
    }

    /// <summary>write(2) and pwritev2(2) calls made: a pipe with room takes a whole buffer in one.</summary>
    internal long WriteCalls { get; private set; }

    /// <summary>Waits until the descriptor takes a write, or, once stopped, for <see cref="StopGraceMs"/> at most.</summary>
    private void WaitForRoom()
    {
        Libc.PollFd* fds = stackalloc Libc.PollFd[2];
        while (true)
        {
            fds[0] = new Libc.PollFd { Fd = _fd, Events = Libc.PollOut };
            fds[1] = new Libc.PollFd { Fd = _stopEvent, Events = Libc.PollIn };
            bool stopped = _stopped;
            int ready = Libc.Poll(fds, stopped ? 1u : 2u, stopped ? StopGraceMs : -1);
            if (ready < 0)
            {
                int errno = Libc.Errno;
                if (errno == SystemError.EINTR)
                    continue;
                throw new SystemError("poll on standard output", errno);
            }
            if (ready == 0)
                throw new OutputStalledException();
            // Writable, or an error the write itself will name (EPIPE on POLLERR, EBADF on POLLNVAL).
            if (fds[0].Returned != 0)
                return;
            _stopped = true;   // the stop event: from now on, wait a bounded time
        }
    }

    private void Wake()
    {
        _stopped = true;
        ulong one = 1;
        _ = Libc.Write(_stopEvent, (byte*)&one, sizeof(ulong));
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _onStop.Dispose();
            _ = Libc.Close(_stopEvent);
        }
        base.Dispose(disposing);
    }

    /// <summary>Whether <paramref name="fd"/> is open; stdout closed by the shell (>&amp;-) is not.</summary>
    public static bool IsOpen(int fd) => Libc.Fcntl(fd, Libc.FGetFd, 0) >= 0 || Libc.Errno != SystemError.EBADF;

    private static bool IsPipe(int fd) => Libc.Fcntl(fd, Libc.FGetPipeSz, 0) >= 0;

    private static bool IsSocket(int fd)
    {
        int type = 0;
        uint length = sizeof(int);
        return Libc.GetSockOpt(fd, Libc.SolSocket, Libc.SoType, &type, &length) == 0;
    }
}
