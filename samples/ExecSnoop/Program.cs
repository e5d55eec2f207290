// execsnoop: prints every exec on the host (PID, PPID, COMM, FILE) from a BPF ring buffer.
// Usage: ExecSnoop [--count N] [--timeout SECONDS]   (as root, or with CAP_BPF and CAP_PERFMON)
using System.Runtime.InteropServices;
using BpfLoader;
using BpfLoader.Object;
using BpfLoader.Object.Spec;
using BpfLoader.Rings;
using BpfSamples;

int count = int.MaxValue;
int timeoutSeconds = 0;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--count" && i + 1 < args.Length && int.TryParse(args[++i], out int n) && n > 0) count = n;
    else if (args[i] == "--timeout" && i + 1 < args.Length && int.TryParse(args[++i], out int t) && t > 0) timeoutSeconds = t;
    else { Console.Error.WriteLine("usage: ExecSnoop [--count N] [--timeout SECONDS]"); return 2; }
}

try
{
    CollectionSpec spec = CollectionSpec.Parse(Embedded.Read("execsnoop.bpf.o"));
    using Collection objects = Collection.Load(spec);
    using var link = objects.Attach("on_exec");
    BpfLoader.Maps.BpfMap events = objects.Maps["events"];

    int seen = 0;
    using var reader = new RingBufferReader(events, record =>
    {
        ExecEvent e = MemoryMarshal.Read<ExecEvent>(record);
        Console.WriteLine($"{e.Pid,-7} {e.Ppid,-7} {Embedded.CString(e.Comm),-16} {Embedded.CString(e.Filename)}");
        seen++;
    });
    using var poller = new RingPoller();
    poller.Add(reader);

    Console.WriteLine($"{"PID",-7} {"PPID",-7} {"COMM",-16} FILE");
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
    if (timeoutSeconds > 0) stop.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
    while (!stop.IsCancellationRequested && seen < count) poller.Poll(timeoutMs: 100);
    return seen >= count || count == int.MaxValue ? 0 : 1;
}
catch (BpfException e)
{
    Console.Error.WriteLine("execsnoop: " + e.Message);
    return 1;
}

/// <summary>struct exec_event of execsnoop.bpf.h.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ExecEvent
{
    public uint Pid;
    public uint Ppid;
    public Comm16 Comm;
    public Filename128 Filename;
}

[System.Runtime.CompilerServices.InlineArray(16)]
internal struct Comm16 { private byte _b; }

[System.Runtime.CompilerServices.InlineArray(128)]
internal struct Filename128 { private byte _b; }
