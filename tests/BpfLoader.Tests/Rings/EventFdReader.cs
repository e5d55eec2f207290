using BpfLoader.Interop;
using BpfLoader.Rings;

namespace BpfLoader.Tests.Rings;

/// <summary>
/// A reader whose "rings" are eventfds: Signal(ring, n) makes it ready with n records, so the
/// poller's epoll dispatch can be tested without root or BPF.
/// </summary>
internal sealed unsafe class EventFdReader : RingReader
{
    private readonly FileDescriptor[] _fds;
    public List<int> Drained { get; } = [];

    private readonly bool _drainsEveryRing;

    /// <summary><paramref name="drainsEveryRing"/>: a drain of any ring reads them all (as a merge does).</summary>
    public EventFdReader(int rings, bool drainsEveryRing = false)
    {
        _drainsEveryRing = drainsEveryRing;
        _fds = new FileDescriptor[rings];
        for (int i = 0; i < rings; i++)
        {
            int fd = Libc.EventFd(0, Libc.EfdCloexec | Libc.EfdNonblock);
            Assert.True(fd >= 0, $"eventfd: errno {Libc.Errno}");
            _fds[i] = new FileDescriptor(fd);
        }
    }

    public void Signal(int ring, ulong records) => Assert.Equal(8, (int)Libc.Write(_fds[ring].Value, &records, 8));

    internal override int RingCount => _fds.Length;

    internal override FileDescriptor RingFd(int ring) => _fds[ring];

    internal override bool DrainsEveryRing => _drainsEveryRing;

    internal override int Drain(int ring)
    {
        Drained.Add(ring);
        if (!_drainsEveryRing)
            return Read(ring);
        int records = 0;
        for (int i = 0; i < _fds.Length; i++)
            records += Read(i);
        return records;
    }

    private int Read(int ring)
    {
        ulong count = 0;
        nint n = Libc.Read(_fds[ring].Value, &count, 8);   // resets the counter: level-triggered epoll goes quiet
        return n == 8 ? (int)count : 0;
    }

    protected override void Dispose(bool disposing)
    {
        foreach (FileDescriptor fd in _fds)
            fd.Dispose();
    }
}
