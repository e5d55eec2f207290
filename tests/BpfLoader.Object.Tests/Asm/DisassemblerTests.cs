using System.Text.RegularExpressions;
using BpfLoader.Object.Asm;
using BpfLoader.Object.Elf;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Tests.Spec;

namespace BpfLoader.Object.Tests.Asm;

public partial class DisassemblerTests
{
    [Theory]
    [InlineData(new byte[] { 0x79, 0xa1, 0xf8, 0xff, 0, 0, 0, 0 }, "r1 = *(u64 *)(r10 - 8)")]
    [InlineData(new byte[] { 0x7b, 0x1a, 0xf0, 0xff, 0, 0, 0, 0 }, "*(u64 *)(r10 - 16) = r1")]
    [InlineData(new byte[] { 0x62, 0x0a, 0xfc, 0xff, 7, 0, 0, 0 }, "*(u32 *)(r10 - 4) = 7")]
    [InlineData(new byte[] { 0x85, 0, 0, 0, 5, 0, 0, 0 }, "call 5")]
    [InlineData(new byte[] { 0x15, 0x00, 3, 0, 0, 0, 0, 0 }, "if r0 == 0 goto +3")]
    [InlineData(new byte[] { 0x5d, 0x21, 0xfe, 0xff, 0, 0, 0, 0 }, "if r1 != r2 goto -2")]
    [InlineData(new byte[] { 0x16, 0x01, 2, 0, 6, 0, 0, 0 }, "if w1 == 6 goto +2")]
    [InlineData(new byte[] { 0x07, 0x01, 0, 0, 0xf8, 0xff, 0xff, 0xff }, "r1 += -8")]
    [InlineData(new byte[] { 0xbf, 0x16, 0, 0, 0, 0, 0, 0 }, "r6 = r1")]
    [InlineData(new byte[] { 0xbc, 0x16, 0, 0, 0, 0, 0, 0 }, "w6 = w1")]
    [InlineData(new byte[] { 0xc7, 0x01, 0, 0, 56, 0, 0, 0 }, "r1 s>>= 56")]
    [InlineData(new byte[] { 0xdc, 0x01, 0, 0, 16, 0, 0, 0 }, "r1 = be16 r1")]
    [InlineData(new byte[] { 0xdb, 0x21, 0, 0, 0, 0, 0, 0 }, "lock *(u64 *)(r1 + 0) += r2")]
    [InlineData(new byte[] { 0xdb, 0x10, 0x80, 0, 0xe1, 0, 0, 0 }, "r1 = xchg_64(r0 + 128, r1)")]
    [InlineData(new byte[] { 0xdb, 0x12, 0, 0, 0xf1, 0, 0, 0 }, "r0 = cmpxchg_64(r2 + 0, r0, r1)")]
    [InlineData(new byte[] { 0xdb, 0x12, 0, 0, 0x01, 0, 0, 0 }, "r1 = atomic_fetch_add((u64 *)(r2 + 0), r1)")]
    [InlineData(new byte[] { 0x95, 0, 0, 0, 0, 0, 0, 0 }, "exit")]
    [InlineData(new byte[] { 0x05, 0, 0x10, 0, 0, 0, 0, 0 }, "goto +16")]
    public void Known_encodings_print_as_llvm_objdump_does(byte[] bytes, string expected)
    {
        Instruction insn = Instruction.Decode(bytes);
        Assert.Equal(expected, Disassembler.Format(insn));
        var again = new byte[8];
        insn.Encode(again);
        Assert.Equal(bytes, again);
    }

    [Fact]
    public void Ld_imm64_prints_its_64_bit_value_or_the_map_it_names()
    {
        Instruction[] pair = Instruction.DecodeAll([0x18, 0x01, 0, 0, 0x88, 0x77, 0x66, 0x55, 0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11]);
        Assert.True(pair[0].IsLoadImm64);
        Assert.Equal("r1 = 1234605616436508552 ll", Disassembler.Format(pair[0], pair[1]));
        Assert.Equal("r1 = map[events] ll", Disassembler.Format(pair[0] with { Src = OpCodes.PseudoMapFd }, pair[1], "events"));
        Assert.Equal("r1 = map[.rodata] + 8 ll", Disassembler.Format(pair[0] with { Src = OpCodes.PseudoMapValue }, pair[1] with { Immediate = 8 }, ".rodata"));
        string listing = Disassembler.Disassemble(pair);
        Assert.Equal("       0:\tr1 = 1234605616436508552 ll\n", listing);
    }

    [GeneratedRegex(@"^\s*(\d+):\t(.*)$")]
    private static partial Regex ObjdumpLine();

    [LlvmObjdumpTheory]
    [InlineData(TestObjects.TcpStates)]
    [InlineData(TestObjects.Multi)]
    [InlineData(TestObjects.CoreRelocs)]
    public void Every_instruction_of_the_test_objects_prints_as_llvm_objdump_prints_it(string objectName)
    {
        string file = TestObjects.TempFile(objectName);
        try
        {
            string dump = LlvmObjdump.Require(TestObjects.ObjDump($"-d --no-show-raw-insn {file}"));
            var elf = ElfObject.Parse(TestObjects.Bytes(objectName));
            string? section = null;
            int compared = 0;
            foreach (string line in dump.Split('\n'))
            {
                if (line.StartsWith("Disassembly of section ", StringComparison.Ordinal))
                {
                    section = line["Disassembly of section ".Length..].TrimEnd(':');
                    continue;
                }
                Match m = ObjdumpLine().Match(line);
                if (!m.Success || section is null) continue;
                int slot = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                Instruction[] code = Instruction.DecodeAll(elf.Section(section)!.Data.Span);
                string expected = Regex.Replace(m.Groups[2].Value, @" <[^>]+>$", "");
                Assert.Equal(expected, Disassembler.Format(code[slot], slot + 1 < code.Length ? code[slot + 1] : default));
                compared++;
            }
            Assert.True(compared > 40, $"only {compared} instructions compared");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Program_listings_name_the_maps_their_loads_refer_to()
    {
        ProgramSpec p = CollectionSpec.Parse(TestObjects.Bytes(TestObjects.TcpStates)).Programs["tcpstates_tp"];
        string listing = p.Disassemble();
        Assert.Contains("= map[timestamps] ll", listing, StringComparison.Ordinal);
        Assert.Contains("= map[.rodata]", listing, StringComparison.Ordinal);
        Assert.Contains("exit", listing, StringComparison.Ordinal);
    }
}
