using BpfLoader.Programs;

namespace BpfLoader.Tests.Loading;

public sealed class ConcurrentLoadsTests
{
    private sealed class Loaded(int index) : IDisposable
    {
        public int Index { get; } = index;
        public bool Disposed { get; private set; }
        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void Results_come_back_in_order_of_the_index_whichever_thread_made_them()
    {
        Loaded[] loaded = ConcurrentLoads.Run(9, i =>
        {
            Thread.Sleep((9 - i) % 3);   // later indices may finish first
            return new Loaded(i);
        });
        Assert.Equal(Enumerable.Range(0, 9), loaded.Select(l => l.Index));
        Assert.All(loaded, l => Assert.False(l.Disposed));
    }

    [Fact]
    public void Two_loads_run_at_the_same_time_where_there_are_two_CPUs_and_one_after_the_other_on_one()
    {
        // Each load waits for the other: one after another, each would wait alone until the timeout.
        bool concurrent = Environment.ProcessorCount >= 2;
        using var bothStarted = new Barrier(2);
        TimeSpan timeout = concurrent ? TimeSpan.FromSeconds(10) : TimeSpan.FromMilliseconds(50);
        bool[] met = ConcurrentLoads.Run(2, _ => new Met(bothStarted.SignalAndWait(timeout)))
            .Select(m => m.Value).ToArray();
        Assert.Equal([concurrent, concurrent], met);
    }

    private sealed class Met(bool value) : IDisposable
    {
        public bool Value { get; } = value;
        public void Dispose() { }
    }

    [Fact]
    public void A_failure_rethrows_the_lowest_index_s_exception_and_disposes_what_did_load()
    {
        var made = new Loaded?[6];
        var e = Assert.Throws<InvalidOperationException>(() => ConcurrentLoads.Run(6, i =>
        {
            if (i is 2 or 4)
            {
                Thread.Sleep(i == 2 ? 20 : 0);   // the later index fails first
                throw new InvalidOperationException($"load {i} failed");
            }
            return made[i] = new Loaded(i);
        }));
        Assert.Equal("load 2 failed", e.Message);
        Assert.Contains(nameof(A_failure_rethrows_the_lowest_index_s_exception_and_disposes_what_did_load), e.StackTrace);
        Assert.All(made.Where(m => m is not null), m => Assert.True(m!.Disposed));
        Assert.Equal(4, made.Count(m => m is not null));
    }

    [Fact]
    public void No_loads_is_an_empty_result()
    {
        Assert.Empty(ConcurrentLoads.Run<Loaded>(0, i => throw new InvalidOperationException("not called")));
    }
}
