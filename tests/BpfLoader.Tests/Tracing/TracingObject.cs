using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BpfLoader.Maps;
using BpfLoader.Object.Spec;
using BpfLoader.Tracing;

namespace BpfLoader.Tests.Tracing;

/// <summary>tracing_paths.bpf.c on sock:inet_sock_set_state, its records for one loopback listener's port, and traffic to it.</summary>
internal sealed class TracingObject : IDisposable
{
    public const int Established = 1;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public TracingObject() => _listener.Start(512);

    public ushort Port => (ushort)((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The records read, as (newstate, sport, dport, time).</summary>
    public List<(int NewState, ushort Sport, ushort Dport, ulong Time)> Records { get; } = [];

    /// <summary>Where a record keeps its bpf_ktime_get_ns() time.</summary>
    public const int TimestampOffset = 16;

    /// <summary>The test object's <paramref name="programs"/>, loaded to trace <see cref="Port"/> only; none attached.</summary>
    public Collection Load(params string[] programs)
    {
        CollectionSpec spec = CollectionSpec.FromResource(typeof(TracingObject).Assembly, "tracing_paths.bpf.o");
        spec.SetConstant("target_port", Port);
        return Collection.Load(spec, new CollectionOptions { Programs = programs });
    }

    /// <summary>
    /// Options for every way onto the tracepoint, records only for <see cref="Port"/>; <paramref name="ringBytes"/> sizes the
    /// (shared) ring buffer; <paramref name="perCpu"/>: a ring per CPU where the kernel takes it.
    /// </summary>
    public TracepointAttachOptions Options(uint? ringBytes = null, bool perCpu = false) => new()
    {
        Category = "sock",
        Name = "inet_sock_set_state",
        PerCpuEventMap = perCpu ? "cpu_events" : null,
        EventTimestampOffset = TimestampOffset,
        Spec = kind =>
        {
            CollectionSpec spec = CollectionSpec.FromResource(typeof(TracingObject).Assembly, "tracing_paths.bpf.o");
            spec.SetConstant("use_ringbuf", kind != EventRingKind.PerfEventArray);
            spec.SetConstant("ring_per_cpu", kind == EventRingKind.RingBufferPerCpu);
            spec.SetConstant("target_port", Port);
            if (ringBytes is uint bytes) spec.Maps["events"].MaxEntries = bytes;
            if (perCpu) spec.Maps["cpu_events"].InnerMap!.MaxEntries = 1 << 20;   // a reader starved by the test's traffic threads loses nothing
            return spec;
        },
        BtfPrograms = ["on_btf"],
        TracepointPrograms = ["on_tp"],
        HitCountProgram = "count_hits",
        HitCountMap = "hits",
        EventMap = "events",
        RingFullCountMap = "drops",
        CallCountMap = "calls",
    };

    public void OnRecord(ReadOnlySpan<byte> record) => Records.Add((
        (int)BinaryPrimitives.ReadUInt32LittleEndian(record[8..]),
        BinaryPrimitives.ReadUInt16LittleEndian(record),
        BinaryPrimitives.ReadUInt16LittleEndian(record[2..]),
        BinaryPrimitives.ReadUInt64LittleEndian(record[TimestampOffset..])));

    /// <summary>Records of sockets that became ESTABLISHED: two per connection (the client's and the server's).</summary>
    public int EstablishedRecords => Records.Count(r => r.NewState == Established && (r.Sport == Port || r.Dport == Port));

    /// <summary>Opens and closes <paramref name="count"/> connections to <see cref="Port"/>; each has its ESTABLISHED changes done on return.</summary>
    public void Connect(int count) => Connect(_listener, count);

    /// <summary>The same, to <paramref name="listener"/>.</summary>
    public static void Connect(TcpListener listener, int count)
    {
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        for (int i = 0; i < count; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(IPAddress.Loopback, port);
            using Socket server = listener.AcceptSocket();
        }
    }

    /// <summary>A per-CPU u64 count of the object, summed.</summary>
    public static ulong Sum(BpfMap map)
    {
        var perCpu = new ulong[BpfMap.PossibleCpuCount];
        return map.TryLookupPerCpu(0u, perCpu.AsSpan()) ? perCpu.Aggregate(0UL, (a, b) => a + b) : 0;
    }

    public void Dispose() => _listener.Stop();
}
