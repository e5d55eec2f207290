using TcpStates.Posix;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Tracing;

/// <summary>The read loop's nice value, set on threads of the test's own (nice is per thread on Linux; they end with the test).</summary>
public sealed class ReadLoopPriorityTests
{
    [KernelFact]
    public void A_thread_at_the_default_nice_value_goes_to_minus_5()
    {
        (string said, int nice) = OnThreadAt(0);
        Assert.Equal("read loop at nice -5", said);
        Assert.Equal(ReadLoopPriority.Nice, nice);
    }

    [KernelFact]
    public void A_thread_started_at_another_nice_value_keeps_it()
    {
        (string said, int nice) = OnThreadAt(3);
        Assert.Equal("read loop at nice 3, as started", said);
        Assert.Equal(3, nice);
    }

    private static (string Said, int Nice) OnThreadAt(int nice)
    {
        string said = "";
        int after = int.MinValue;
        var thread = new Thread(() =>
        {
            if (Libc.SetPriority(Libc.PrioProcess, 0, nice) != 0) throw new InvalidOperationException("setpriority failed");
            said = ReadLoopPriority.Raise();
            after = Libc.GetPriority(Libc.PrioProcess, 0);
        });
        thread.Start();
        thread.Join();
        return (said, after);
    }
}
