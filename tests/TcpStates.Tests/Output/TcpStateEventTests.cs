using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using TcpStates.Output;

namespace TcpStates.Tests.Output;

public class TcpStateEventTests
{
    [Fact]
    public void The_struct_is_104_bytes_like_struct_event()
    {
        Assert.Equal(104, Unsafe.SizeOf<TcpStateEvent>());
        Assert.Equal(TcpStateEvent.Size, Unsafe.SizeOf<TcpStateEvent>());
    }

    [Fact]
    public void Fields_are_read_from_the_offsets_of_struct_event()
    {
        // Offsets of bpf/tcpstates.h on x86-64/arm64: u64 x3, u8[16] x2, char[16], u32, s32 x2, u16 x4, u32 netns, u64 cgroup id.
        byte[] raw = new byte[104];
        BinaryPrimitives.WriteUInt64LittleEndian(raw.AsSpan(0), 0xffff9fd7e8192000);
        BinaryPrimitives.WriteUInt64LittleEndian(raw.AsSpan(8), 111_999);
        BinaryPrimitives.WriteUInt64LittleEndian(raw.AsSpan(16), 222);
        raw[24] = 10; raw[27] = 1;
        raw[40] = 0xfe; raw[55] = 2;
        "curl"u8.CopyTo(raw.AsSpan(56));
        BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(72), 4242);
        BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(76), 7);
        BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(80), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(raw.AsSpan(84), 10);
        BinaryPrimitives.WriteUInt16LittleEndian(raw.AsSpan(86), 40000);
        BinaryPrimitives.WriteUInt16LittleEndian(raw.AsSpan(88), 443);
        BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(92), 4026531840);
        BinaryPrimitives.WriteUInt64LittleEndian(raw.AsSpan(96), 0x1_0000_2a3b);

        Assert.True(TcpStateEvent.TryRead(raw, out TcpStateEvent e));
        Assert.Equal(0xffff9fd7e8192000, e.SkAddr);
        Assert.Equal(111_999UL, e.TimestampNs);
        Assert.Equal(111UL, e.TimestampUs);
        Assert.Equal(222UL, e.DeltaUs);
        Assert.Equal(10, e.SourceAddress[0]);
        Assert.Equal(1, e.SourceAddress[3]);
        Assert.Equal(0xfe, e.DestinationAddress[0]);
        Assert.Equal(2, e.DestinationAddress[15]);
        Assert.Equal("curl"u8.ToArray(), e.TaskName.ToArray());
        Assert.Equal(4242U, e.Pid);
        Assert.Equal(7, e.OldState);
        Assert.Equal(2, e.NewState);
        Assert.Equal(10, e.Family);
        Assert.Equal(40000, e.SourcePort);
        Assert.Equal(443, e.DestinationPort);
        Assert.Equal(4026531840U, e.NetNs);
        Assert.Equal(0x1_0000_2a3bUL, e.CgroupId);
        Assert.False(e.IsIPv4);
    }

    [Fact]
    public void A_short_record_is_refused_and_a_16_byte_name_has_no_terminator()
    {
        Assert.False(TcpStateEvent.TryRead(new byte[103], out _));
        byte[] raw = new byte[104];
        "0123456789abcdef"u8.CopyTo(raw.AsSpan(56));
        raw[72] = 0x41; // the pid's first byte must not leak into the name
        Assert.True(TcpStateEvent.TryRead(raw, out TcpStateEvent e));
        Assert.Equal("0123456789abcdef"u8.ToArray(), e.TaskName.ToArray());
    }

    [Fact]
    public void An_IPv4_record_prints_as_the_full_record_it_stands_for()
    {
        var compact = new Ipv4TcpStateEvent
        {
            SkAddr = 0xffff9fd7e8192000,
            TimestampNs = 1_001_373_000,
            Pid = 4242,
            SourceAddress = 0x0100007f,        // 127.0.0.1, the bytes as they lie
            DestinationAddress = 0x0201a8c0,   // 192.168.1.2
            SourcePort = 40000,
            DestinationPort = 443,
            OldState = 2,
            NewState = 1,
        };
        "curl"u8.CopyTo(compact.Task);
        byte[] compactBytes = MemoryMarshal.AsBytes(new ReadOnlySpan<Ipv4TcpStateEvent>(ref compact)).ToArray();
        Assert.Equal(Ipv4TcpStateEvent.Size, compactBytes.Length);

        TcpStateEvent full = EventFactory.Create(source: "127.0.0.1", sport: 40000, destination: "192.168.1.2", dport: 443,
            pid: 4242, oldState: 2, newState: 1, timestampUs: 1_001_373, netns: 0, cgroupId: 0);
        full.DeltaUs = TcpStateEvent.DeltaByReader;
        Assert.Equal(EventFactory.ToBytes(full), EventFactory.ToBytes(compact.Expand(TcpStateEvent.DeltaByReader)));

        foreach (OutputFormat format in new[] { OutputFormat.Columns, OutputFormat.Wide, OutputFormat.Csv })
        {
            Assert.Equal(Print(format, EventFactory.ToBytes(full)), Print(format, compactBytes));
        }
    }

    [Fact]
    public void IPv4_records_read_one_after_another_each_print_as_alone_whatever_the_one_before_held()
    {
        var first = new Ipv4TcpStateEvent
        {
            SkAddr = 0xffff9fd7e8192000, TimestampNs = 5_000_000, Pid = 4242, SourceAddress = 0xffffffff, DestinationAddress = 0x0201a8c0,
            SourcePort = 65535, DestinationPort = 443, OldState = 10, NewState = 3,
        };
        "a-long-command-1"u8.CopyTo(first.Task);
        var second = new Ipv4TcpStateEvent
        {
            SkAddr = 0xffff9fd7e8194000, TimestampNs = 6_000_000, Pid = 7, SourceAddress = 0x0100007f, DestinationAddress = 0x0100007f,
            SourcePort = 0, DestinationPort = 80, OldState = 7, NewState = 2,
        };
        "nc"u8.CopyTo(second.Task);

        TcpStateEvent reused = first.Expand(123);
        second.ExpandInto(ref reused, TcpStateEvent.DeltaByReader);
        Assert.Equal(EventFactory.ToBytes(second.Expand(TcpStateEvent.DeltaByReader)), EventFactory.ToBytes(reused));

        byte[] a = Bytes(first), b = Bytes(second);
        foreach (OutputFormat format in new[] { OutputFormat.Columns, OutputFormat.Wide, OutputFormat.Csv })
            Assert.Equal(Print(format, a) + Print(format, b) + Print(format, a), Print(format, a, b, a));
    }

    private static byte[] Bytes(Ipv4TcpStateEvent e) => MemoryMarshal.AsBytes(new ReadOnlySpan<Ipv4TcpStateEvent>(ref e)).ToArray();

    private static string Print(OutputFormat format, params byte[][] records)
    {
        var output = new MemoryStream();
        var sink = new EventOutput(new EventPrinter(output, format, false, false, TimeProvider.System), journal: null, TextWriter.Null);
        foreach (byte[] record in records)
            sink.OnEvent(record);
        sink.Flush();
        Assert.Equal(0UL, sink.ShortRecords);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static string Print(OutputFormat format, byte[] record)
    {
        var output = new MemoryStream();
        var sink = new EventOutput(new EventPrinter(output, format, false, false, TimeProvider.System), journal: null, TextWriter.Null);
        sink.OnEvent(record);
        sink.Flush();
        Assert.Equal(0UL, sink.ShortRecords);
        return Encoding.UTF8.GetString(output.ToArray());
    }
}
