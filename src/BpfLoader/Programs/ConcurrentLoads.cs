using System.Runtime.ExceptionServices;
using BpfLoader.Interop;

namespace BpfLoader.Programs;

/// <summary>
/// Loads run side by side: the verifier checks a program on the thread that asked for it, so several programs of one
/// object are verified at once on as many CPUs, the caller's thread taking its share.
/// </summary>
internal static class ConcurrentLoads
{
    /// <summary>
    /// <paramref name="load"/>(0 .. <paramref name="count"/> - 1), on up to one thread per online CPU (fewer where no more
    /// can be started); their results in order. When any throws, every result is disposed and the exception of the
    /// lowest index is rethrown: the one a load in order would have stopped at.
    /// </summary>
    public static T[] Run<T>(int count, Func<int, T> load) where T : class, IDisposable
    {
        var results = new T?[count];
        var failures = new ExceptionDispatchInfo?[count];
        int next = -1;
        void Work()
        {
            for (int i; (i = Interlocked.Increment(ref next)) < count;)
            {
                try
                {
                    results[i] = load(i);
                }
                catch (Exception e)
                {
                    failures[i] = ExceptionDispatchInfo.Capture(e);
                }
            }
        }

        var threads = new List<Thread>();
        for (int t = 1; t < Math.Min(count, Environment.ProcessorCount); t++)
        {
            // Where no more threads can be had, the ones started do the rest.
            if (HelperThread.TryStart(Work, "bpf load") is not Thread thread)
                break;
            threads.Add(thread);
        }
        Work();
        foreach (Thread thread in threads)
            thread.Join();

        if (Array.FindIndex(failures, f => f is not null) is int failed and >= 0)
        {
            foreach (T? result in results)
                result?.Dispose();
            failures[failed]!.Throw();
        }
        return results!;
    }
}
