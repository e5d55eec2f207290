using BpfLoader.Object;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Spec;
using Xunit.Abstractions;

namespace BpfLoader.Object.Tests.Fuzz;

/// <summary>
/// Damaged objects and BTF blobs, over a fixed range of seeds: every case ends in success or a
/// <see cref="BpfException"/>, never another exception, and allocates in proportion to its input
/// (issue 13). CI runs <see cref="DefaultCases"/> per parser; <c>BPFLOADER_FUZZ_CASES</c> and
/// <c>BPFLOADER_FUZZ_SEED</c> run more, or another range, by hand (bench/README.md).
/// </summary>
public class ParserFuzzTests(ITestOutputHelper output)
{
    private const int DefaultCases = 20_000;

    /// <summary>Bytes a case may allocate: a multiple of its input, plus the largest .bss the loader takes and room for the rest.</summary>
    internal static long AllocationBound(int inputLength) => 64L * inputLength + (long)MapDefinitions.MaxDataSectionSize + (8 << 20);

    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("BPFLOADER_FUZZ_CASES"), out int n) && n > 0 ? n : DefaultCases;

    private static int FirstSeed => int.TryParse(Environment.GetEnvironmentVariable("BPFLOADER_FUZZ_SEED"), out int s) ? s : 0;

    /// <summary>Parse the object, link every program (CO-RE against the object's own BTF), write its BTF back.</summary>
    internal static void ParseObject(byte[] image)
    {
        CollectionSpec spec = CollectionSpec.Parse(image);
        foreach (ProgramSpec p in spec.Programs.Values)
        {
            p.Link(spec.Btf, _ => 3);
            p.Disassemble();
        }
        spec.Btf?.Marshal(BtfFeatures.None);
    }

    /// <summary>A program with every CO-RE relocation kind clang emits, relocated against each damaged BTF.</summary>
    private static readonly Lazy<ProgramSpec> CoreProgram = new(() =>
        CollectionSpec.Parse(Spec.TestObjects.Bytes(Spec.TestObjects.CoreRelocs)).Programs["core_all"]);

    /// <summary>
    /// Parse the blob as kernel BTF is parsed, then decode, look up and size its types, relocate a CO-RE
    /// program against it, and write it back.
    /// </summary>
    internal static void ParseBtf(byte[] blob)
    {
        BtfSpec btf = BtfSpec.Parse(blob);
        int count = Math.Min(btf.TypeCount, 2048);
        for (int id = 0; id < count; id++)
        {
            BtfType t = btf.Type(id);
            if (id < 256 && t.Name.Length > 0) btf.TypeIdsByName(t.Name);
            // An untyped __ksym extern is a VAR of (const) void, which has no size.
            bool sized = t.IsComposite || t.Kind is BtfKind.Array or BtfKind.Typedef
                || (t.Kind == BtfKind.Var && btf.SkipModifiersAndTypedefs(t.TypeId).Kind != BtfKind.Void);
            if (sized) btf.ResolveSize(id);
            btf.SkipModifiersAndTypedefs(id);
        }
        btf.Marshal(BtfFeatures.None);
        ProgramSpec program = CoreProgram.Value;
        program.Link(new CoreRelocator(program.Btf!, btf) { PoisonMissingTypes = true }, btf, _ => 3);
    }

    /// <summary>Runs one case; null when it ended well, else what went wrong.</summary>
    internal static string? RunCase(Action<byte[]> parse, byte[] input) => RunCase(parse, input, out _, out _);

    /// <param name="wrapped">A runtime exception (an index out of range, say) the parser caught and turned into a
    /// BpfException: safe, but a check it lacks. It fails the case: every field is to be checked before use.</param>
    private static string? RunCase(Action<byte[]> parse, byte[] input, out bool parsed, out string? wrapped)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        parsed = false;
        wrapped = null;
        try
        {
            parse(input);
            parsed = true;
        }
        catch (BpfException e)
        {
            if (e.InnerException is { } inner and not BpfException)
                wrapped = $"{inner.GetType().Name} at {inner.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}";
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message} at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}";
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > AllocationBound(input.Length)) return $"allocated {allocated} bytes for a {input.Length}-byte input";
        return wrapped is null ? null : $"a runtime exception caught and wrapped, not a check: {wrapped}";
    }

    private void Fuzz(IReadOnlyList<FuzzInput> inputs, Action<byte[]> parse)
    {
        Assert.NotEmpty(inputs);
        var failures = new List<string>();
        int first = FirstSeed, cases = Cases, parsedCount = 0, failed = 0, wrappedCount = 0;
        for (int seed = first; seed < first + cases; seed++)
        {
            FuzzInput input = inputs[(int)((uint)seed % (uint)inputs.Count)];
            string? failure = RunCase(parse, input.Mutator.Mutate(input.Bytes, seed), out bool parsed, out string? wrapped);
            if (parsed) parsedCount++;
            if (wrapped is not null) wrappedCount++;
            if (failure is null) continue;
            if (failed++ < 20) failures.Add($"seed {seed} ({input.Name}): {failure}");
        }
        output.WriteLine($"seeds {first}..{first + cases - 1} over {inputs.Count} inputs: {parsedCount} parsed, " +
            $"{cases - parsedCount - failed} refused with a BpfException, {failed} failed ({wrappedCount} of them a runtime exception wrapped)");
        Assert.True(failed == 0, $"{failed} of {cases} cases failed:{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
    }

    [Fact]
    public void Damaged_objects_parse_or_fail_with_a_BpfException_in_bounded_memory() =>
        Fuzz(FuzzInputs.Objects, ParseObject);

    [Fact]
    public void Damaged_BTF_parses_or_fails_with_a_BpfException_in_bounded_memory() =>
        Fuzz(FuzzInputs.Btfs, ParseBtf);

    /// <summary>Seeds that once failed (seed, as the object fuzz runs it): each stays a case of its own.</summary>
    [Theory]
    [InlineData(2983)]    // core_relocs.bpf.o: 64 MiB allocated for a 10 KB object (a .bss size trusted)
    [InlineData(3285)]    // minimal.bpf.o: 1.9 GB allocated for a 5 KB object
    [InlineData(9228)]    // minimal.bpf.o: 1.3 GB allocated for a 5 KB object
    [InlineData(10242)]   // core_relocs.bpf.o: OutOfMemoryException in the ELF reader (an sh_size trusted)
    [InlineData(1180)]    // an OverflowException wrapped: a symbol value past 4 GiB written into a DATASEC
    [InlineData(2420)]    // an OverflowException wrapped: a section size past 4 GiB written into a DATASEC
    public void Object_seeds_that_once_failed_end_well(int seed)
    {
        FuzzInput input = FuzzInputs.Objects[seed % FuzzInputs.Objects.Count];
        Assert.Null(RunCase(ParseObject, input.Mutator.Mutate(input.Bytes, seed)));
    }

    [Fact]
    public void The_undamaged_inputs_parse()
    {
        // Not those whose CO-RE relocations or externs resolve only against a kernel, not against their own BTF.
        foreach (FuzzInput o in FuzzInputs.Objects.Where(o => !o.Name.Contains("core_", StringComparison.Ordinal) && !o.Name.Contains("externs", StringComparison.Ordinal)))
            ParseObject(o.Bytes);
        foreach (FuzzInput b in FuzzInputs.Btfs)
            ParseBtf((byte[])b.Bytes.Clone());
        Assert.True(FuzzInputs.Objects.Count >= 5);
    }
}
