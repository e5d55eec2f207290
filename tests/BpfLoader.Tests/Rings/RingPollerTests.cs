namespace BpfLoader.Tests.Rings;

public class RingPollerTests
{
    // A hang guard, not a speed check: a broken Wake would block forever.
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Fact]
    public void Wake_returns_a_Poll_blocked_forever_on_another_thread()
    {
        using var reader = new EventFdReader(2);
        using var poller = new BpfLoader.Rings.RingPoller();
        poller.Add(reader);
        int result = -1;
        var polling = new Thread(() => result = poller.Poll(-1));
        polling.Start();
        Thread.Sleep(200);   // let it reach epoll_wait; a wake sent earlier would also be kept (next test)

        poller.Wake();

        Assert.True(polling.Join(HangGuard), "Poll(-1) did not return after Wake()");
        Assert.Equal(0, result);
        Assert.Empty(reader.Drained);
    }

    [Fact]
    public void A_Wake_before_Poll_is_not_lost_and_is_consumed_once()
    {
        using var poller = new BpfLoader.Rings.RingPoller();
        poller.Wake();
        poller.Wake();

        Assert.Equal(0, poller.Poll(-1));   // returns at once: the wake was pending
        Assert.Equal(0, poller.Poll(0));    // and it is gone
    }

    [Fact]
    public void Poll_drains_only_the_rings_that_are_ready_and_counts_their_records()
    {
        using var a = new EventFdReader(3);
        using var b = new EventFdReader(1);
        using var poller = new BpfLoader.Rings.RingPoller();
        poller.Add(a);
        poller.Add(b);

        a.Signal(2, 5);
        b.Signal(0, 7);
        Assert.Equal(12, poller.Poll(-1));
        Assert.Equal([2], a.Drained);
        Assert.Equal([0], b.Drained);

        Assert.Equal(0, poller.Poll(0));   // drained: level-triggered epoll reports nothing more
        Assert.Equal([2], a.Drained);
    }

    [Fact]
    public void A_reader_that_drains_all_its_rings_at_once_is_drained_once_however_many_are_ready()
    {
        using var merged = new EventFdReader(3, drainsEveryRing: true);
        using var single = new EventFdReader(2);
        using var poller = new BpfLoader.Rings.RingPoller();
        poller.Add(merged);
        poller.Add(single);

        merged.Signal(0, 2);
        merged.Signal(2, 3);
        single.Signal(0, 1);
        single.Signal(1, 1);
        Assert.Equal(7, poller.Poll(-1));
        Assert.Single(merged.Drained);
        Assert.Equal(2, single.Drained.Count);
    }

    [Fact]
    public void Pause_leaves_ready_rings_alone_and_ends_at_its_timeout()
    {
        using var a = new EventFdReader(2);
        using var poller = new BpfLoader.Rings.RingPoller();
        poller.Add(a);
        a.Signal(1, 3);

        Assert.False(poller.Pause(20));   // a ready ring does not end it, and nothing is drained
        Assert.Empty(a.Drained);
        Assert.Equal(3, poller.Poll(0));  // the records are still there for the next Poll
    }

    [Fact]
    public void Wake_ends_a_Pause_on_another_thread_and_is_consumed()
    {
        using var poller = new BpfLoader.Rings.RingPoller();
        bool woken = false;
        var pausing = new Thread(() => woken = poller.Pause(-1));
        pausing.Start();
        Thread.Sleep(200);

        poller.Wake();

        Assert.True(pausing.Join(HangGuard), "Pause(-1) did not return after Wake()");
        Assert.True(woken);
        Assert.False(poller.Pause(0));    // the wake was consumed
    }

    [Fact]
    public void DrainAll_visits_every_ring_without_waiting()
    {
        using var a = new EventFdReader(3);
        a.Signal(1, 4);

        Assert.Equal(4, a.DrainAll());
        Assert.Equal([0, 1, 2], a.Drained);
    }
}
