using BpfLoader.Object;
using BpfLoader.Object.Asm;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Tests.Spec;

namespace BpfLoader.Object.Tests.Btf;

public class CoreRelocatorTests
{
    private static readonly Lazy<BtfSpec> Kernel = new(() => Vmlinux.Load());

    /// <summary>core_relocs.bpf.c stores each relocated value into results[i]: value and instruction by i.</summary>
    private static Dictionary<int, (long Value, Instruction Insn)> RelocatedResults(out ProgramSpec program, out CollectionSpec spec)
    {
        spec = CollectionSpec.Parse(TestObjects.Bytes(TestObjects.CoreRelocs));
        program = spec.Programs["core_all"];
        var results = spec.Maps[".bss"];
        Instruction[] linked = Instruction.DecodeAll(program.Link(Kernel.Value, _ => 100).Instructions);
        var byIndex = new Dictionary<int, (long, Instruction)>();
        foreach (CoreRelocation r in program.CoreRelocations)
        {
            Instruction original = program.Instructions[r.Instruction];
            Instruction insn = linked[r.Instruction];
            // The value goes to results[i] by the next store of the relocated register.
            int store = r.Instruction + (original.IsLoadImm64 ? 2 : 1);
            while (!(linked[store].Class == OpCodes.ClassStx && linked[store].Src == original.Dst)) store++;
            long value = insn.Class switch
            {
                OpCodes.ClassLdx => insn.Offset,
                _ when original.IsLoadImm64 && insn.IsLoadImm64 => (long)(((ulong)(uint)linked[r.Instruction + 1].Immediate << 32) | (uint)insn.Immediate),
                _ => insn.Immediate,
            };
            byIndex.Add(linked[store].Offset / 8, (value, insn));
        }
        Assert.True(results.ValueSize >= 8 * 22);
        return byIndex;
    }

    [KernelBtfFact]
    public void The_test_object_has_every_relocation_kind_clang_emits()
    {
        ProgramSpec p = CollectionSpec.Parse(TestObjects.Bytes(TestObjects.CoreRelocs)).Programs["core_all"];
        var kinds = p.CoreRelocations.Select(r => r.Kind).ToHashSet();
        for (var k = CoreRelocationKind.FieldByteOffset; k <= CoreRelocationKind.EnumValueValue; k++)
            Assert.Contains(k, kinds);
    }

    [KernelBtfFact(NeedsBpftool: true)]
    public void Field_relocations_resolve_to_the_kernel_layout_bpftool_reports()
    {
        BpftoolRawDump bpftool = BpftoolRawDump.Kernel;
        var r = RelocatedResults(out _, out _);
        long Bytes(string path) => bpftool.Find("sock", path).BitOffset / 8;

        Assert.Equal(Bytes("__sk_common.skc_daddr"), r[0].Value);
        Assert.Equal(bpftool.Types[bpftool.Resolve(bpftool.Find("sock", "__sk_common.skc_family").Member.TypeId)].Size, r[1].Value);
        Assert.Equal(1, r[2].Value);
        Assert.Equal(0, r[3].Value); // sk_protocol is u16
        Assert.Equal(Bytes("__sk_common.skc_rcv_saddr"), r[17].Value);
        Assert.Equal(Bytes("__sk_common.skc_family"), r[21].Value);

        // Bitfields, as libbpf computes them: the smallest aligned load holding the bits (u8 here).
        (long kernBit, BpftoolRawDump.Member kern) = bpftool.Find("sock", "sk_kern_sock");
        (long txBit, BpftoolRawDump.Member tx) = bpftool.Find("sock", "sk_no_check_tx");
        Assert.Equal((1, 1), (kern.BitfieldSize, tx.BitfieldSize));
        Assert.Equal(64 - (kernBit - kernBit / 8 * 8 + 1), r[4].Value);
        Assert.Equal(63, r[5].Value);
        Assert.Equal(txBit / 8, r[6].Value);
        Assert.Equal(1, r[7].Value);
        Assert.Equal(64 - (txBit - txBit / 8 * 8 + 1), r[8].Value);
    }

    [KernelBtfFact(NeedsBpftool: true)]
    public void Type_and_enum_relocations_resolve_against_the_kernel()
    {
        BpftoolRawDump bpftool = BpftoolRawDump.Kernel;
        var r = RelocatedResults(out ProgramSpec program, out CollectionSpec spec);
        Assert.Equal(spec.Btf!.FindTypeId("sock", BtfKind.Struct), r[9].Value);        // TYPE_ID_LOCAL
        Assert.Equal(bpftool.Struct("sock").Id, r[10].Value);                          // TYPE_ID_TARGET
        Assert.Equal(1, r[11].Value);
        Assert.Equal(bpftool.Struct("sock").Size, r[12].Value);
        Assert.Equal(1, r[13].Value);
        Assert.Equal(27, r[14].Value);                                                 // BPF_MAP_TYPE_RINGBUF, a UAPI constant
        Assert.Equal(0, r[15].Value);                                                  // no such enumerator
        Assert.NotEmpty(program.CoreRelocations);
    }

    [KernelBtfFact]
    public void Missing_types_and_fields_give_zero_for_existence_and_poison_for_access()
    {
        var r = RelocatedResults(out _, out _);
        Assert.Equal(0, r[16].Value);  // sock___mine resolves to sock, but sk_does_not_exist does not
        Assert.Equal(0, r[18].Value);  // type not in the kernel
        Assert.Equal(0, r[19].Value);  // field of a type not in the kernel
        Instruction poisoned = r[20].Insn;
        Assert.Equal((byte)(OpCodes.ClassJmp | OpCodes.JmpCall), poisoned.OpCode);
        Assert.Equal(CoreRelocator.PoisonHelperId, poisoned.Immediate);
        Assert.Equal("call 195896080", Disassembler.Format(poisoned));
    }

    [KernelBtfFact]
    public void An_access_to_a_type_the_kernel_lacks_fails_naming_type_and_field()
    {
        ProgramSpec p = CollectionSpec.Parse(TestObjects.Bytes(TestObjects.CoreMissing)).Programs["core_missing"];
        var strict = new CoreRelocator(p.Btf!, Kernel.Value) { PoisonMissingTypes = false };
        CoreRelocationException e = Assert.Throws<CoreRelocationException>(() => p.Link(strict, Kernel.Value, _ => 3));
        Assert.Contains("struct no_such_kernel_struct::missing_field", e.Message, StringComparison.Ordinal);
        Assert.Contains("core_missing", e.Message, StringComparison.Ordinal);

        // libbpf's choice, the default: poison, so only a reachable access fails (in the verifier).
        LinkedProgram linked = p.Link(Kernel.Value, _ => 3);
        Instruction[] code = Instruction.DecodeAll(linked.Instructions);
        Assert.Equal(CoreRelocator.PoisonHelperId, code[p.CoreRelocations[0].Instruction].Immediate);
        Assert.Equal(p.CoreRelocations[0].Instruction, Assert.Single(linked.PoisonedRelocations).Instruction);
    }

    [KernelBtfFact]
    public void Without_kernel_BTF_a_program_with_relocations_is_refused()
    {
        ProgramSpec p = CollectionSpec.Parse(TestObjects.Bytes(TestObjects.CoreRelocs)).Programs["core_all"];
        Assert.Throws<CoreRelocationException>(() => p.Link(null, _ => 3));
    }

    [KernelBtfFact(NeedsBpftool: true)]
    public void The_tool_program_reads_the_kernel_offsets_of_its_sock_fields()
    {
        BpftoolRawDump bpftool = BpftoolRawDump.Kernel;
        CollectionSpec spec = CollectionSpec.Parse(TestObjects.Bytes(TestObjects.TcpStates));
        ProgramSpec p = spec.Programs["tcpstates_btf"];
        Instruction[] code = Instruction.DecodeAll(p.Link(Kernel.Value, _ => 5).Instructions);
        var offsets = new Dictionary<string, long>();
        foreach (CoreRelocation r in p.CoreRelocations.Where(r => r.Kind == CoreRelocationKind.FieldByteOffset))
        {
            var local = CoreAccessSpec.Parse(spec.Btf!, r.TypeId, r.Access, r.Kind);
            offsets[local.Describe(r.Kind)] = code[r.Instruction].Class == OpCodes.ClassLdx ? code[r.Instruction].Offset : code[r.Instruction].Immediate;
        }
        Assert.Equal(bpftool.Find("sock", "__sk_common.skc_family").BitOffset / 8, offsets["struct sock::__sk_common.skc_family"]);
        Assert.Equal(bpftool.Find("sock", "__sk_common.skc_daddr").BitOffset / 8, offsets["struct sock::__sk_common.skc_daddr"]);
        Assert.Equal(bpftool.Find("sock", "__sk_common.skc_v6_daddr").BitOffset / 8, offsets["struct sock::__sk_common.skc_v6_daddr"]);
        Assert.Equal(bpftool.Find("inet_sock", "inet_sport").BitOffset / 8, offsets["struct inet_sock::inet_sport"]);
        Assert.Equal(bpftool.Find("sock", "sk_protocol").BitOffset / 8, offsets["struct sock::sk_protocol"]);
    }

    [Theory]
    [InlineData("sock___mine", "sock")]
    [InlineData("sock", "sock")]
    [InlineData("a___b___c", "a___b")]
    [InlineData("__sk_common", "__sk_common")]
    [InlineData("x____y", "x____y")]
    [InlineData("task_struct___2", "task_struct")]
    public void Essential_names_drop_the_last_flavour(string name, string essential) =>
        Assert.Equal(essential, CoreRelocator.EssentialName(name));
}
