namespace TcpStates;

internal static class Program
{
    private static int Main(string[] args)
    {
        var app = new App(Console.Out, Console.Error, App.OpenStandardOutput, Tracing.TraceSession.Run);
        using IDisposable signals = app.HandleSignals();
        return app.Run(args);
    }
}
