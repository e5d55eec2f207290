using TcpStates.Bench.Interop;
using TcpStates.Bench.Tracers;

namespace TcpStates.Bench.Tests;

public class TracerProcessTests
{
    [Fact]
    public unsafe void A_tracer_stops_on_SIGINT_even_when_the_harness_ignores_it()
    {
        // As a harness started in a shell's background job: SIGINT ignored, which exec would pass on.
        byte* ignore = stackalloc byte[Native.SigActionSize];
        byte* saved = stackalloc byte[Native.SigActionSize];
        new Span<byte>(ignore, Native.SigActionSize).Clear();
        *(nint*)ignore = Native.SigIgn;
        string stderr = Path.GetTempFileName();
        TracerProcess sleeper;
        Assert.Equal(0, Native.SigAction(Native.SigInt, ignore, saved));
        try
        {
            sleeper = TracerProcess.Start("/bin/sleep", ["30"], OutputSink.Null, "/dev/null", stderr);
        }
        finally
        {
            Assert.Equal(0, Native.SigAction(Native.SigInt, saved, null));
        }

        using (sleeper)
        {
            sleeper.Signal(Native.SigInt);
            Assert.True(sleeper.WaitForExit(TimeSpan.FromSeconds(5)), "SIGINT did not stop it");
            Assert.Equal("killed by signal 2", sleeper.ExitDescription);
        }
        File.Delete(stderr);
    }
}
