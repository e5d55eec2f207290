using System.Buffers.Binary;
using BpfLoader.Object.Btf;

namespace BpfLoader.Object.Tests.Btf;

/// <summary>.BTF.ext costs memory in proportion to its size, however its blocks are arranged (issue 13, item 6).</summary>
public class BtfExtBoundsTests
{
    private static BtfSpec SectionNames(out uint sectionName)
    {
        var b = new BtfBuilder();
        b.Int("int", 4);
        b.Typedef("tracepoint/x/y", 1);   // any type naming the string puts it in the string section
        BtfSpec spec = b.Build();
        sectionName = 0;
        for (uint off = 1; sectionName == 0; off++)
            if (spec.String(off) == "tracepoint/x/y") sectionName = off;
        return spec;
    }

    /// <summary>A .BTF.ext whose func_info is <paramref name="blocks"/> blocks of one record each, all for the same section.</summary>
    private static byte[] RepeatedBlocks(uint sectionName, int blocks)
    {
        int info = 4 + blocks * (8 + 8);
        var ext = new byte[32 + info];
        Span<byte> s = ext;
        BinaryPrimitives.WriteUInt16LittleEndian(s, 0xeB9F);
        s[2] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], 32);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], 0);            // func_info_off
        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], (uint)info);  // func_info_len
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], (uint)info);  // line_info_off
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(s[24..], (uint)info);  // core_relo_off
        BinaryPrimitives.WriteUInt32LittleEndian(s[28..], 0);
        Span<byte> body = s[32..];
        BinaryPrimitives.WriteUInt32LittleEndian(body, 8);               // record size
        for (int i = 0; i < blocks; i++)
        {
            Span<byte> block = body[(4 + i * 16)..];
            BinaryPrimitives.WriteUInt32LittleEndian(block, sectionName);
            BinaryPrimitives.WriteUInt32LittleEndian(block[4..], 1);
            BinaryPrimitives.WriteUInt32LittleEndian(block[8..], (uint)(i * 8));
            BinaryPrimitives.WriteUInt32LittleEndian(block[12..], 1);
        }
        return ext;
    }

    [Fact]
    public void Many_blocks_for_one_section_are_joined_in_linear_memory()
    {
        BtfSpec btf = SectionNames(out uint name);
        const int blocks = 4000;
        byte[] ext = RepeatedBlocks(name, blocks);
        BtfExt.Parse(RepeatedBlocks(name, 2), btf);   // JIT outside the measurement

        long before = GC.GetAllocatedBytesForCurrentThread();
        BtfExt parsed = BtfExt.Parse(ext, btf);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(blocks, parsed.FuncInfos("tracepoint/x/y").Count);
        Assert.Equal(blocks - 1, parsed.FuncInfos("tracepoint/x/y")[^1].Instruction);
        Assert.InRange(allocated, 0, 64L * ext.Length + 64 * 1024);
    }
}
