using System.Buffers.Binary;
using BpfLoader.Errors;
using BpfLoader.Maps;
using BpfLoader.Object.Spec;
using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Maps;

/// <summary>
/// Collection.Globals over globals.bpf.c: output = input * factor + ctx[0], run by BPF_PROG_TEST_RUN
/// (no attach, so nothing else on the host runs it).
/// </summary>
public sealed class GlobalVariableTests
{
    private static CollectionSpec Spec() => CollectionSpec.FromResource(typeof(GlobalVariableTests).Assembly, "globals.bpf.o");

    private static uint Run(Collection objects, ulong argument)
    {
        Span<byte> ctx = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(ctx, argument);
        return objects.Programs["compute"].TestRun(default, context: ctx).ReturnValue;
    }

    [KernelFact]
    public void Data_and_bss_are_written_and_read_through_shared_memory_while_the_program_runs()
    {
        CollectionSpec spec = Spec();
        spec.SetConstant("factor", 4UL);
        using Collection objects = Collection.Load(spec);
        Variable input = objects.Globals["input"], output = objects.Globals["output"], runs = objects.Globals["runs"];

        Assert.Equal(5UL, input.Read<ulong>());   // the object's initial value
        Assert.Equal(0UL, output.Read<ulong>());
        input.Write(7UL);
        Assert.Equal(29u, Run(objects, 1));   // the program saw our write: 7 * 4 + 1

        Assert.Equal(29UL, output.Read<ulong>());   // and we see its
        Assert.Equal(1u, runs.Read<uint>());
        Assert.Equal(4UL, objects.Globals["factor"].Read<ulong>());

        // This kernel maps global data (5.5+): no syscall per access, and the map says why.
        Assert.All(new[] { input, output, runs, objects.Globals["factor"] }, v => Assert.True(v.IsMemoryMapped, v.ToString()));
        Assert.True((input.Map.Flags & MapFlags.Mmapable) != 0);
        // The mapping is the map's element 0: a lookup sees the program's write at the variable's offset.
        var bss = new byte[output.Map.ValueSize];
        Assert.True(output.Map.TryLookup(new byte[4], bss));
        Assert.Equal(29UL, BinaryPrimitives.ReadUInt64LittleEndian(bss.AsSpan(output.Offset)));
    }

    [KernelFact]
    public void Rodata_is_still_frozen_with_a_mapping_and_read_only_here()
    {
        using Collection objects = Collection.Load(Spec());
        Variable factor = objects.Globals["factor"];
        Assert.True(factor.IsReadOnly);
        Assert.Equal(3UL, factor.Read<ulong>());
        Assert.Throws<InvalidOperationException>(() => factor.Write(9UL));
        // Frozen in the kernel too: an element update is refused.
        var e = Assert.Throws<BpfSyscallException>(() => factor.Map.Update(new byte[4], new byte[factor.Map.ValueSize]));
        Assert.Equal("EPERM", e.ErrnoName);
        Assert.Equal(3u * 5 + 2, Run(objects, 2));
    }

    [KernelFact]
    public void A_read_or_write_of_the_wrong_size_is_refused()
    {
        using Collection objects = Collection.Load(Spec());
        Variable input = objects.Globals["input"];
        Assert.Equal(8, input.Size);
        Assert.Throws<ArgumentException>(() => input.Write(1u));
        Assert.Throws<ArgumentException>(() => input.Read<uint>());
        Assert.Throws<ArgumentException>(() => input.Read(new byte[9]));
        Assert.Equal(5UL, input.Read<ulong>());   // untouched
    }

    [KernelFact]
    public void Without_a_mapping_variables_go_through_element_calls()
    {
        CollectionSpec spec = Spec();
        using Collection objects = Collection.Load(spec);
        var (data, globals) = Collection.CreateGlobals(spec, objects.Maps, useMapping: false);
        try
        {
            Variable input = globals["input"], output = globals["output"];
            Assert.False(input.IsMemoryMapped);
            input.Write(11UL);
            Assert.Equal(11UL, objects.Globals["input"].Read<ulong>());   // the mapped view agrees
            Assert.Equal(11u * 3 + 2, Run(objects, 2));
            Assert.Equal(35UL, output.Read<ulong>());
            Assert.Equal(1u, globals["runs"].Read<uint>());
            Assert.Throws<InvalidOperationException>(() => globals["factor"].Write(1UL));
        }
        finally
        {
            foreach (GlobalDataMap d in data) d.Dispose();
        }
    }

    [KernelFact]
    public void Variables_of_a_disposed_collection_throw()
    {
        Collection objects = Collection.Load(Spec());
        Variable input = objects.Globals["input"];
        Assert.Equal(5UL, input.Read<ulong>());
        objects.Dispose();
        Assert.Throws<ObjectDisposedException>(() => input.Read<ulong>());
    }
}
