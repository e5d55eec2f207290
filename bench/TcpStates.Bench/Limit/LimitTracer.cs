using System.Runtime.InteropServices;
using BpfLoader;
using BpfLoader.Links;
using BpfLoader.Object;
using BpfLoader.Object.Spec;

namespace TcpStates.Bench.Limit;

/// <summary>
/// The <c>limit</c> subcommand: loads the empty tp_btf program (bench/reference/limit.bpf.c) with the
/// project's own loader, attaches it, says so on stdout and sleeps until SIGINT or SIGTERM. No maps,
/// no reader: what it costs the workload is the floor for any tracer of this tracepoint.
/// </summary>
internal static class LimitTracer
{
    public const string ProgramName = "limit_empty";

    public static int Run(string objectPath)
    {
        using var stop = new ManualResetEventSlim();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        try
        {
            CollectionSpec spec = CollectionSpec.Parse(File.ReadAllBytes(objectPath));
            using Collection objects = Collection.Load(spec);
            using BpfLink link = objects.Attach(ProgramName);
            Console.Out.WriteLine("LIMIT attached: empty tp_btf/inet_sock_set_state");
            Console.Out.Flush();
            stop.Wait();
            return 0;
        }
        catch (Exception e) when (e is BpfException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"limit: {e.Message}");
            return 1;
        }
    }
}
