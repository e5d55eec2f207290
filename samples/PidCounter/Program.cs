// pidcounter: counts connect() calls per process for a while, then prints PID, COUNT and COMM, most first.
// Usage: PidCounter [--duration SECONDS]   (as root, or with CAP_BPF and CAP_PERFMON; needs tracefs)
using BpfLoader;
using BpfLoader.Maps;
using BpfLoader.Object;
using BpfLoader.Object.Spec;
using BpfSamples;

int seconds = 5;
if (args.Length == 2 && args[0] == "--duration" && int.TryParse(args[1], out int s) && s > 0) seconds = s;
else if (args.Length != 0) { Console.Error.WriteLine("usage: PidCounter [--duration SECONDS]"); return 2; }

try
{
    CollectionSpec spec = CollectionSpec.Parse(Embedded.Read("pidcounter.bpf.o"));
    using Collection objects = Collection.Load(spec);
    using var link = objects.Attach("count_connect");
    BpfMap connects = objects.Maps["connects"];

    Console.WriteLine($"counting connect() per process for {seconds} s");
    Console.Out.Flush();
    using var stop = new ManualResetEventSlim();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Set(); };
    stop.Wait(TimeSpan.FromSeconds(seconds));

    var rows = new List<(uint Pid, ulong Count)>();
    foreach (uint pid in connects.Keys<uint>())
        if (connects.TryLookup(pid, out ulong count)) rows.Add((pid, count));
    Console.WriteLine($"{"PID",-7} {"COUNT",8} COMM");
    foreach ((uint pid, ulong count) in rows.OrderByDescending(r => r.Count))
        Console.WriteLine($"{pid,-7} {count,8} {Comm(pid)}");
    return 0;
}
catch (BpfException e)
{
    Console.Error.WriteLine("pidcounter: " + e.Message);
    return 1;
}

static string Comm(uint pid)
{
    try { return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n'); }
    catch (IOException) { return "?"; }           // the process has exited
    catch (UnauthorizedAccessException) { return "?"; }
}
