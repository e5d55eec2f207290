using System.Runtime.InteropServices;
using BpfLoader.Errors;
using BpfLoader.Links;
using BpfLoader.Object;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Spec;
using BpfLoader.Tests.Kernel;

namespace BpfLoader.Tests.Compat;

/// <summary>
/// CO-RE poisoning as libbpf does, on by default: compat_core_guard.bpf.c reads a struct and a field the
/// kernel lacks, guarded by existence checks (loads; the fallback branch runs) and unguarded (refused by
/// the verifier, the error naming the relocation).
/// </summary>
[Collection("getppid")]
public sealed partial class CorePoisonTests
{
    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetPpid();

    private static CollectionSpec Spec()
    {
        CollectionSpec spec = CollectionSpec.FromResource(typeof(CorePoisonTests).Assembly, "compat_core_guard.bpf.o");
        spec.SetConstant("target_tgid", (uint)Environment.ProcessId);
        return spec;
    }

    [KernelFact]
    public void A_guarded_access_to_a_missing_type_loads_and_takes_the_fallback()
    {
        CollectionSpec spec = Spec();
        using Collection objects = Collection.Load(spec, new CollectionOptions { Programs = ["guarded"] });
        using (BpfLink link = objects.Attach("guarded"))
            GetPpid();
        var g = new GlobalsReader(spec, objects);
        Assert.NotEqual(0UL, g.U64("runs"));
        Assert.Equal(7UL, g.U64("field_result"));                      // the field does not exist
        Assert.Equal(8UL, g.U64("type_result"));                       // nor the type
        Assert.Equal((ulong)Environment.ProcessId, g.U64("tgid_result")); // task_struct___compat: the field that exists was read
    }

    [KernelFact]
    public void An_unguarded_access_is_refused_by_the_verifier_naming_the_relocation()
    {
        BpfVerifierException e = Assert.Throws<BpfVerifierException>(
            () => Collection.Load(Spec(), new CollectionOptions { Programs = ["unguarded"] }));
        Assert.Contains("CO-RE relocation #0 (FieldByteOffset of struct no_such_kernel_struct::missing_field)", e.Message, StringComparison.Ordinal);
        Assert.Contains($"unknown#{CoreRelocator.PoisonHelperId}", e.VerifierLog, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Strict_relocation_fails_before_the_kernel_sees_the_program()
    {
        CoreRelocationException e = Assert.Throws<CoreRelocationException>(
            () => Collection.Load(Spec(), new CollectionOptions { Programs = ["guarded"], StrictCoreRelocations = true }));
        Assert.Contains("no_such_kernel_struct", e.Message, StringComparison.Ordinal);
    }
}
