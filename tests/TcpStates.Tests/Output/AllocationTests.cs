using System.Runtime.InteropServices;
using TcpStates.Containers;
using TcpStates.Output;

namespace TcpStates.Tests.Output;

public class AllocationTests
{
    [Theory]
    [InlineData(OutputFormat.Columns)]
    [InlineData(OutputFormat.Wide)]
    [InlineData(OutputFormat.Csv)]
    public void Formatting_100000_events_allocates_nothing(OutputFormat format) => FormatAndCount(format, json: false, containers: false);

    [Theory]
    [InlineData(OutputFormat.Columns, false, true)]
    [InlineData(OutputFormat.Csv, false, true)]
    [InlineData(OutputFormat.Columns, true, false)]
    [InlineData(OutputFormat.Columns, true, true)]
    public void Formatting_100000_events_as_JSON_or_with_container_columns_allocates_nothing(OutputFormat format, bool json, bool containers) =>
        FormatAndCount(format, json, containers);

    private static void FormatAndCount(OutputFormat format, bool json, bool containers)
    {
        byte[][] records =
        [
            EventFactory.ToBytes(EventFactory.Create("10.1.2.3", 443, "10.9.8.7", 51000, "a,\u001b[31m"u8.ToArray(), deltaUs: 1373, cgroupId: 77)),
            EventFactory.ToBytes(EventFactory.Create("2001:db8::1", 22, "::ffff:1.2.3.4", 40000, "sshd\u202e\""u8.ToArray(), deltaUs: 176042, cgroupId: 78)),
            Ipv4Record(),   // and an IPv4 change in the ring buffer's short form, whose time in state the reader works out
        ];
        var cgroups = new CgroupPaths(null);
        cgroups.Remember(77, "/system.slice/nginx.service");   // 78 stays unknown: a null path
        var printer = new EventPrinter(Stream.Null, format, time: true, timestamp: true, TimeProvider.System)
        {
            Json = json ? new JsonEventFormatter(time: true, timestamp: true, TimeProvider.System, cgroups) : null,
            Containers = containers ? cgroups : null,
        };
        var output = new EventOutput(printer, journal: null, TextWriter.Null);
        output.Start();
        for (int i = 0; i < 1000; i++) // warm up: tiering, time zone data
            output.OnEvent(records[i % records.Length]);
        output.Flush();

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            output.OnEvent(records[i % records.Length]);
            if (i % 64 == 0)
                output.Flush();
        }
        output.Flush();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    private static byte[] Ipv4Record()
    {
        var e = new Ipv4TcpStateEvent { SkAddr = 0xffff888000001000, TimestampNs = 5_000_000, Pid = 7, SourceAddress = 0x0100007f,
            DestinationAddress = 0x0100007f, SourcePort = 8080, DestinationPort = 51000, OldState = 1, NewState = 4 };
        "nginx"u8.CopyTo(e.Task);
        return MemoryMarshal.AsBytes(new ReadOnlySpan<Ipv4TcpStateEvent>(ref e)).ToArray();
    }
}
