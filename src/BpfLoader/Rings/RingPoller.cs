using BpfLoader.Errors;
using BpfLoader.Interop;

namespace BpfLoader.Rings;

/// <summary>
/// One epoll over the rings of any number of readers (ring buffers and perf event arrays alike),
/// plus an eventfd so another thread can stop a blocked <see cref="Poll"/>.
/// The consumer loop: <c>while (!stop) poller.Poll(-1);</c> and, to stop, <c>stop = true; poller.Wake();</c>.
/// </summary>
public sealed unsafe class RingPoller : IDisposable
{
    private const ulong WakeToken = ulong.MaxValue;
    private const int MaxEventsPerWait = 64;

    private readonly FileDescriptor _epoll;
    private readonly FileDescriptor _wake;
    private readonly FileDescriptor _pause;   // an epoll of the eventfd alone, for Pause
    private RingReader[] _readers = [];   // replaced, never mutated: Add may race with Poll

    /// <summary>An empty poller with its own epoll instance.</summary>
    public RingPoller()
    {
        _epoll = Create(Libc.EpollCreate1(Libc.EpollCloexec), "epoll_create1");
        try
        {
            _wake = Create(Libc.EventFd(0, Libc.EfdCloexec | Libc.EfdNonblock), "eventfd");
            Register(_epoll, _wake, WakeToken);
            _pause = Create(Libc.EpollCreate1(Libc.EpollCloexec), "epoll_create1");
            Register(_pause, _wake, WakeToken);
        }
        catch
        {
            _pause?.Dispose();
            _wake?.Dispose();
            _epoll.Dispose();
            throw;
        }
    }

    /// <summary>Polls every ring of <paramref name="reader"/> from now on. The poller does not own the reader.</summary>
    public void Add(RingReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ulong index = (ulong)_readers.Length;
        for (int ring = 0; ring < reader.RingCount; ring++)
            Register(_epoll, reader.RingFd(ring), index << 32 | (uint)ring);
        _readers = [.. _readers, reader];
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: forever) until a ring has records or
    /// <see cref="Wake"/> is called, then drains every ready ring; returns the records delivered
    /// (0 on timeout, on a wake or on a signal).
    /// </summary>
    public int Poll(int timeoutMs)
    {
        byte* events = stackalloc byte[MaxEventsPerWait * EpollEvents.Layout.Size];
        int ready;
        bool added = false;
        try
        {
            _epoll.DangerousAddRef(ref added);
            ready = Libc.EpollWait(_epoll.Value, events, MaxEventsPerWait, timeoutMs);
        }
        finally
        {
            if (added)
                _epoll.DangerousRelease();
        }
        if (ready < 0)
        {
            int errno = Libc.Errno;
            return errno == Errno.EINTR ? 0 : throw new BpfSyscallException("epoll_wait", errno);
        }

        RingReader[] readers = _readers;
        int delivered = 0;
        ulong merged = 0;   // readers that drain all their rings at once, drained in this call (the first 64)
        for (int i = 0; i < ready; i++)
        {
            ulong token = EpollEvents.Data(events, i);
            if (token == WakeToken)
            {
                ConsumeWake();
                continue;
            }
            int index = (int)(token >> 32);
            RingReader reader = readers[index];
            if (reader.DrainsEveryRing && index < 64)
            {
                if ((merged & (1UL << index)) != 0)
                    continue;
                merged |= 1UL << index;
            }
            delivered += reader.Drain((int)(uint)token);
        }
        return delivered;
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> without watching the rings, or until <see cref="Wake"/> is called;
    /// returns whether a wake ended it. For a consumer that drains on a timer while records flow: a ring buffer
    /// whose program leaves wakeups to the kernel wakes its reader for the first record after each drain, so
    /// waiting on the rings then would return after every few records.
    /// </summary>
    public bool Pause(int timeoutMs)
    {
        byte* events = stackalloc byte[EpollEvents.Layout.Size];
        int ready;
        bool added = false;
        try
        {
            _pause.DangerousAddRef(ref added);
            ready = Libc.EpollWait(_pause.Value, events, 1, timeoutMs);
        }
        finally
        {
            if (added)
                _pause.DangerousRelease();
        }
        if (ready < 0)
        {
            int errno = Libc.Errno;
            return errno == Errno.EINTR ? false : throw new BpfSyscallException("epoll_wait", errno);
        }
        if (ready == 0)
            return false;
        ConsumeWake();
        return true;
    }

    /// <summary>Makes the current (or the next) Poll or Pause return; callable from any thread.</summary>
    public void Wake()
    {
        ulong one = 1;
        // EAGAIN means the counter is already non-zero: a wake is pending anyway.
        _ = Libc.Write(_wake.Value, &one, sizeof(ulong));
    }

    private void ConsumeWake()
    {
        ulong count;
        _ = Libc.Read(_wake.Value, &count, sizeof(ulong));
    }

    private static void Register(FileDescriptor epoll, FileDescriptor fd, ulong token)
    {
        // Level-triggered: a ring we leave non-empty (a busy record) is reported again.
        byte* ev = stackalloc byte[EpollEvents.Layout.Size];
        EpollEvents.Write(ev, 0, Libc.EpollIn, token);
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            if (Libc.EpollCtl(epoll.Value, Libc.EpollCtlAdd, fd.Value, ev) != 0)
                throw new BpfSyscallException("epoll_ctl ADD", Libc.Errno, fd.ToString());
        }
        finally
        {
            if (added)
                fd.DangerousRelease();
        }
    }

    private static FileDescriptor Create(int fd, string operation) =>
        fd >= 0 ? new FileDescriptor(fd) : throw new BpfSyscallException(operation, Libc.Errno);

    /// <summary>Closes the epolls and the eventfd; the readers stay open.</summary>
    public void Dispose()
    {
        _pause.Dispose();
        _wake.Dispose();
        _epoll.Dispose();
    }
}
