using TcpStates.Output;
using TcpStates.Posix;

namespace TcpStates;

internal static class Program
{
    private static int Main(string[] args)
    {
        // A non-interactive shell starts a background job with SIGINT ignored, and the runtime leaves an ignored
        // SIGINT ignored: set both stop signals back to their default before the runtime looks at them, so that
        // SIGINT stops the tool however it was started.
        _ = Libc.Signal(Libc.Sigint, Libc.SigDfl);
        _ = Libc.Signal(Libc.Sigterm, Libc.SigDfl);
        // With stdout closed (>&-) the next descriptor opened would become fd 1 and receive the events.
        if (!DescriptorOutput.IsOpen(1))
        {
            Console.Error.Write("tcpstates: standard output is closed: EBADF (Bad file descriptor)\n");
            return 1;
        }
        var app = new App(Console.Out, Console.Error, openEvents: null, Tracing.TraceSession.Run);
        using IDisposable signals = app.HandleSignals();
        return app.Run(args);
    }
}
