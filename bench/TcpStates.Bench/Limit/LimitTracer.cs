using System.Runtime.InteropServices;
using BpfLoader;
using BpfLoader.Links;
using BpfLoader.Maps;
using BpfLoader.Object;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Uapi;
using BpfLoader.Rings;

namespace TcpStates.Bench.Limit;

/// <summary>
/// The <c>limit</c> subcommand: loads one tp_btf program with the project's own loader, attaches it, says so on
/// stdout and runs until SIGINT or SIGTERM. By default the empty program of bench/reference/limit.bpf.c: no maps,
/// no reader, what it costs the workload is the floor for any tracer of this tracepoint. Given a program of
/// bench/reference/floor.bpf.c (bench/program-floor), it also drains every ring buffer the program writes, as a
/// reader that prints nothing: the floor of one part of tcpstates' program.
/// </summary>
internal static class LimitTracer
{
    public const string ProgramName = "limit_empty";

    /// <summary>How long the reader sleeps between drains while records flow (tcpstates' own pause).</summary>
    private static readonly TimeSpan DrainInterval = TimeSpan.FromMilliseconds(10);

    public static int Run(string objectPath, string programName = ProgramName)
    {
        using var stop = new ManualResetEventSlim();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        var readers = new List<RingBufferReader>();
        try
        {
            CollectionSpec spec = CollectionSpec.Parse(File.ReadAllBytes(objectPath));
            using Collection objects = Collection.Load(spec, new CollectionOptions { Programs = [programName] });
            foreach (BpfMap map in objects.Maps.Values.Where(m => m.Type == BpfMapType.Ringbuf))
                readers.Add(new RingBufferReader(map, static _ => { }));
            using BpfLink link = objects.Attach(programName);
            Console.Out.WriteLine($"LIMIT attached: {programName} on tp_btf/inet_sock_set_state, {readers.Count} ring(s) drained");
            Console.Out.Flush();
            do
            {
                foreach (RingBufferReader reader in readers)
                    reader.DrainAll();
            }
            while (!stop.Wait(readers.Count == 0 ? Timeout.InfiniteTimeSpan : DrainInterval));
            return 0;
        }
        catch (Exception e) when (e is BpfException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"limit: {e.Message}");
            return 1;
        }
        finally
        {
            foreach (RingBufferReader reader in readers)
                reader.Dispose();
        }
    }
}
