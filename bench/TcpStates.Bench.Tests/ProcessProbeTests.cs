using System.Diagnostics;
using TcpStates.Bench.Measurement;

namespace TcpStates.Bench.Tests;

public class ProcessProbeTests
{
    [Fact]
    public void A_thread_that_has_ended_keeps_its_CPU_in_the_process_count()
    {
        // As a tracer's start-up thread: it burns CPU and ends before the harness's window closes.
        int pid = Environment.ProcessId;
        long before = ProcessProbe.CpuNanoseconds(pid);
        string? taskPath = null;
        var burner = new Thread(() =>
        {
            taskPath = "/proc/" + new DirectoryInfo("/proc/thread-self").LinkTarget;
            var spin = Stopwatch.StartNew();
            while (spin.ElapsedMilliseconds < 150)
                Thread.SpinWait(1000);
        });
        burner.Start();
        burner.Join();
        var wait = Stopwatch.StartNew();
        while (Directory.Exists(taskPath!) && wait.Elapsed < TimeSpan.FromSeconds(5))
            Thread.Sleep(5);
        Assert.False(Directory.Exists(taskPath!), $"{taskPath} still listed");

        long counted = ProcessProbe.CpuNanoseconds(pid) - before;

        // A shared machine may take the CPU from the spinning thread for part of its 150 ms; half is plenty.
        Assert.True(counted >= 75_000_000, $"counted {counted / 1e6:F1} ms of a thread that spun for 150 ms");
    }
}
