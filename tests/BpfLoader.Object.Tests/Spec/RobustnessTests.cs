using BpfLoader.Object;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Tests.Btf;

namespace BpfLoader.Object.Tests.Spec;

/// <summary>Damaged objects give a BpfException (or subclass), never another exception or a crash.</summary>
public class RobustnessTests
{
    private static readonly Lazy<BtfSpec?> Kernel = new(() =>
        File.Exists(Vmlinux.Path) ? Vmlinux.Load() : null);

    /// <summary>Parse, then link every program (CO-RE against the kernel when it is readable).</summary>
    private static void ParseAndLink(byte[] image)
    {
        CollectionSpec spec = CollectionSpec.Parse(image);
        foreach (ProgramSpec p in spec.Programs.Values)
        {
            p.Link(Kernel.Value, _ => 3);
            p.Disassemble();
        }
        spec.Btf?.Marshal(BtfFeatures.None);
    }

    /// <summary>As <see cref="ParseAndLink"/> for an object that must come through whole: every program links to at least its own code and disassembles.</summary>
    private static void AssertLinksWhole(byte[] image, int atLeastPrograms)
    {
        CollectionSpec spec = CollectionSpec.Parse(image);
        Assert.True(spec.Programs.Count >= atLeastPrograms, $"{spec.Programs.Count} programs");
        foreach (ProgramSpec p in spec.Programs.Values)
        {
            LinkedProgram linked = p.Link(Kernel.Value, _ => 3);
            Assert.True(linked.InstructionCount >= p.Instructions.Length && p.Instructions.Length > 0, $"{p.Name}: {linked.InstructionCount} linked, {p.Instructions.Length} own");
            Assert.Contains("exit", p.Disassemble(), StringComparison.Ordinal);
        }
        Assert.NotNull(spec.Btf);
        Assert.NotEmpty(spec.Btf.Marshal(BtfFeatures.None));
    }

    private static void AssertOnlyBpfExceptions(byte[] image, string what)
    {
        try
        {
            ParseAndLink(image);
        }
        catch (BpfException)
        {
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        }
    }

    [Fact]
    public void The_undamaged_test_object_parses_and_links_every_program()
        => AssertLinksWhole(TestObjects.Bytes(TestObjects.Multi), atLeastPrograms: 5);

    /// <summary>The tool's object needs the kernel's BTF for its CO-RE relocations: skipped (saying so) without it.</summary>
    [BpfLoader.Object.Tests.Btf.KernelBtfFact]
    public void The_undamaged_tool_object_links_every_program_against_the_kernel()
    {
        Assert.NotNull(Kernel.Value);
        AssertLinksWhole(TestObjects.Bytes(TestObjects.TcpStates), atLeastPrograms: 2);
    }

    [Fact]
    public void Every_truncation_of_the_tool_object_fails_cleanly()
    {
        byte[] original = TestObjects.Bytes(TestObjects.TcpStates);
        int step = Math.Max(1, original.Length / 1500);
        for (int length = 0; length < original.Length; length += step)
        {
            byte[] cut = original[..length];
            Assert.ThrowsAny<BpfException>(() => CollectionSpec.Parse(cut));
        }
    }

    [Fact]
    public void Random_mutations_of_the_tool_object_give_only_BpfExceptions()
    {
        byte[] original = TestObjects.Bytes(TestObjects.TcpStates);
        var random = new Random(20261127);
        for (int round = 0; round < 3000; round++)
        {
            byte[] copy = (byte[])original.Clone();
            int flips = 1 + random.Next(8);
            for (int i = 0; i < flips; i++)
            {
                int at = random.Next(copy.Length);
                copy[at] = random.Next(3) switch
                {
                    0 => (byte)random.Next(256),
                    1 => (byte)(copy[at] ^ (1 << random.Next(8))),
                    _ => 0xff,
                };
            }
            AssertOnlyBpfExceptions(copy, $"round {round}");
        }
    }

    [Fact]
    public void Corrupted_headers_and_sections_give_object_exceptions_with_a_reason()
    {
        byte[] original = TestObjects.Bytes(TestObjects.Multi);
        byte[] bigEndian = (byte[])original.Clone();
        bigEndian[5] = 2;
        Assert.Contains("little-endian", Assert.Throws<BpfObjectException>(() => CollectionSpec.Parse(bigEndian)).Message, StringComparison.Ordinal);
        byte[] elf32 = (byte[])original.Clone();
        elf32[4] = 1;
        Assert.Contains("64-bit", Assert.Throws<BpfObjectException>(() => CollectionSpec.Parse(elf32)).Message, StringComparison.Ordinal);
        byte[] x86 = (byte[])original.Clone();
        x86[18] = 62;
        Assert.Contains("EM_BPF", Assert.Throws<BpfObjectException>(() => CollectionSpec.Parse(x86)).Message, StringComparison.Ordinal);
        Assert.Throws<BpfObjectException>(() => CollectionSpec.Parse(new byte[200]));
        Assert.Throws<BpfObjectException>(() => CollectionSpec.Parse(ReadOnlySpan<byte>.Empty));

        // The BTF magic, wherever the .BTF section is.
        int btf = IndexOf(original, [0x9f, 0xeb, 0x01, 0x00]);
        byte[] badBtf = (byte[])original.Clone();
        badBtf[btf] = 0;
        Assert.Contains("BTF", Assert.Throws<BpfObjectException>(() => CollectionSpec.Parse(badBtf)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mutations_inside_BTF_and_BTF_ext_give_only_BpfExceptions()
    {
        byte[] original = TestObjects.Bytes(TestObjects.TcpStates);
        int start = IndexOf(original, [0x9f, 0xeb, 0x01, 0x00]);
        var random = new Random(7);
        for (int round = 0; round < 1500; round++)
        {
            byte[] copy = (byte[])original.Clone();
            int at = start + random.Next(Math.Min(8000, copy.Length - start));
            copy[at] = (byte)random.Next(256);
            if (random.Next(2) == 0) copy[Math.Min(copy.Length - 1, at + 1 + random.Next(16))] = (byte)random.Next(256);
            AssertOnlyBpfExceptions(copy, $"BTF round {round}, byte {at}");
        }
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
