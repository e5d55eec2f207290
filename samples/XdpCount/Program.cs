// xdpcount: counts the packets and bytes arriving on a network interface, at its XDP hook.
// Usage: XdpCount INTERFACE [--duration SECONDS]   (as root, or with CAP_BPF and CAP_NET_ADMIN)
using System.Runtime.InteropServices;
using BpfLoader;
using BpfLoader.Maps;
using BpfLoader.Object;
using BpfLoader.Object.Spec;
using BpfSamples;

if (args.Length is not (1 or 3) || (args.Length == 3 && args[1] != "--duration"))
{
    Console.Error.WriteLine("usage: XdpCount INTERFACE [--duration SECONDS]");
    return 2;
}
string interfaceName = args[0];
int seconds = 5;
if (args.Length == 3 && (!int.TryParse(args[2], out seconds) || seconds <= 0))
{
    Console.Error.WriteLine("usage: XdpCount INTERFACE [--duration SECONDS]");
    return 2;
}

try
{
    CollectionSpec spec = CollectionSpec.Parse(Embedded.Read("xdpcount.bpf.o"));
    using Collection objects = Collection.Load(spec);
    using var link = BpfLoader.Links.XdpLink.Attach(objects.Programs["count_packets"], interfaceName);
    BpfMap counts = objects.Maps["counts"];
    Console.WriteLine($"counting packets on {interfaceName} for {seconds} s");
    Console.Out.Flush();
    using var stop = new ManualResetEventSlim();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Set(); };
    stop.Wait(TimeSpan.FromSeconds(seconds));

    var perCpu = new Totals[BpfMap.PossibleCpuCount];   // one value per possible CPU
    if (!counts.TryLookupPerCpu(0u, perCpu.AsSpan()))
        throw new BpfException("entry 0 of the counts array is missing");
    ulong packets = 0, bytes = 0;
    foreach (Totals t in perCpu) { packets += t.Packets; bytes += t.Bytes; }
    Console.WriteLine($"{packets} packets, {bytes} bytes");
    return 0;
}
catch (BpfException e)
{
    Console.Error.WriteLine("xdpcount: " + e.Message);
    return 1;
}

/// <summary>struct totals of xdpcount.bpf.c.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Totals
{
    public ulong Packets;
    public ulong Bytes;
}
