using TcpStates.Output;
using TcpStates.Posix;

namespace TcpStates;

internal static class Program
{
    private static int Main(string[] args)
    {
        // Before any other thread starts: SIGINT and SIGTERM blocked everywhere, taken by one waiting thread (and a
        // SIGINT a script's background job inherits as ignored is reset: it stops the tool however it was started).
        StopSignals.BlockInEveryThread();
        // With stdout closed (>&-) the next descriptor opened would become fd 1 and receive the events.
        if (!DescriptorOutput.IsOpen(1))
        {
            Console.Error.Write("tcpstates: standard output is closed: EBADF (Bad file descriptor)\n");
            return 1;
        }
        var app = new App(Console.Out, Console.Error, openEvents: null, Tracing.TraceSession.Run);
        app.HandleSignals();
        return app.Run(args);
    }
}
