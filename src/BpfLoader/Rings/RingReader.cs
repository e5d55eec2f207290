using System.Diagnostics;
using BpfLoader.Interop;

namespace BpfLoader.Rings;

/// <summary>
/// A source of records behind one or more pollable fds: a BPF ring buffer (one fd) or a perf event
/// array (one fd per CPU). <see cref="RingPoller"/> waits on any mix of them through one epoll.
/// </summary>
public abstract class RingReader : IDisposable
{
    /// <summary>How many fds this reader has; each is drained on its own when epoll reports it.</summary>
    internal abstract int RingCount { get; }

    /// <summary>The fd to poll for ring <paramref name="ring"/>.</summary>
    internal abstract FileDescriptor RingFd(int ring);

    /// <summary>Drains ring <paramref name="ring"/>; returns the records delivered.</summary>
    internal abstract int Drain(int ring);

    /// <summary>Whether <see cref="Drain"/> of any ring drains them all (a merge): a poller then drains it once
    /// however many of its rings are ready.</summary>
    internal virtual bool DrainsEveryRing => false;

    /// <summary>Whether any ring holds a record not yet handed on, committed or still being written (ring buffers;
    /// false for a perf event array, which wakes its reader by watermark).</summary>
    internal virtual bool HoldsRecords => false;

    /// <summary>
    /// Drains every ring without waiting; returns the records delivered. Use it once more after the
    /// last Poll, since a watermark policy leaves records that never raised a wakeup.
    /// </summary>
    public virtual int DrainAll()
    {
        int delivered = 0;
        for (int i = 0; i < RingCount; i++)
            delivered += Drain(i);
        return delivered;
    }

    /// <summary>
    /// Once the programs are detached: drains until no ring holds a record, or until <paramref name="timeout"/>; returns
    /// the records delivered. A program running when its link went may still be writing its record, at which one
    /// <see cref="DrainAll"/> stops (and a merge holds back what is stamped after its round's clock reading); this waits
    /// for them, a round a millisecond. A perf event array is drained once.
    /// </summary>
    public int DrainToEnd(TimeSpan timeout)
    {
        long start = Stopwatch.GetTimestamp();
        int delivered = DrainAll();
        while (HoldsRecords && Stopwatch.GetElapsedTime(start) < timeout)
        {
            Thread.Sleep(1);
            delivered += DrainAll();
        }
        return delivered;
    }

    /// <summary>Unmaps and closes. Only after every Poll over this reader has returned.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the ring's mappings and descriptors.</summary>
    protected abstract void Dispose(bool disposing);
}
