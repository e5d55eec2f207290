using BpfLoader.Object;
using BpfLoader.Object.Asm;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Object.Tests.Spec;

public class CollectionSpecTests
{
    private static CollectionSpec Multi() => CollectionSpec.Parse(TestObjects.Bytes(TestObjects.Multi));

    [Fact]
    public void Programs_are_one_per_function_with_types_from_their_sections()
    {
        CollectionSpec spec = Multi();
        Assert.Equal(
            ["btf_prog", "entry_prog", "exit_prog", "first_tp", "raw_prog", "second_tp", "third_tp"],
            spec.Programs.Keys.Order(StringComparer.Ordinal));
        ProgramSpec first = spec.Programs["first_tp"], second = spec.Programs["second_tp"];
        Assert.Equal("tracepoint/syscalls/sys_enter_getpid", first.SectionName);
        Assert.Equal(first.SectionName, second.SectionName);
        Assert.Equal(BpfProgramType.Tracepoint, first.Type);
        Assert.Equal("syscalls/sys_enter_getpid", first.AttachTo);
        Assert.Equal(BpfProgramType.Tracepoint, spec.Programs["third_tp"].Type);
        Assert.Equal((BpfProgramType.RawTracepoint, (BpfAttachType?)null, "sched_switch"), (spec.Programs["raw_prog"].Type, spec.Programs["raw_prog"].AttachType, spec.Programs["raw_prog"].AttachTo));
        Assert.Equal((BpfProgramType.Tracing, (BpfAttachType?)BpfAttachType.TraceRawTp, "sched_switch"), (spec.Programs["btf_prog"].Type, spec.Programs["btf_prog"].AttachType, spec.Programs["btf_prog"].AttachTo));
        Assert.Equal(BpfAttachType.TraceFentry, spec.Programs["entry_prog"].AttachType);
        Assert.Equal(BpfAttachType.TraceFexit, spec.Programs["exit_prog"].AttachType);
        Assert.Equal("do_nanosleep", spec.Programs["exit_prog"].AttachTo);
        Assert.Equal("GPL", spec.License);
        Assert.All(spec.Programs.Values, p => Assert.Equal("GPL", p.License));
    }

    [LlvmObjdumpFact]
    public void Linked_programs_are_their_code_plus_each_called_function_once_as_llvm_objdump_sizes_say()
    {
        var symbols = LlvmObjdump.Require(TestObjects.SymbolTable(TestObjects.Multi));
        int Slots(string f) => (int)(symbols[f].Size / 8);
        CollectionSpec spec = Multi();
        Assert.Equal(Slots("first_tp") + Slots("global_helper") + Slots("static_helper"), spec.Programs["first_tp"].Instructions.Length);
        Assert.Equal(Slots("second_tp") + Slots("static_helper"), spec.Programs["second_tp"].Instructions.Length);
        Assert.Equal(Slots("third_tp") + Slots("global_helper") + Slots("static_helper"), spec.Programs["third_tp"].Instructions.Length);
        Assert.Equal(Slots("raw_prog"), spec.Programs["raw_prog"].Instructions.Length);
    }

    [Fact]
    public void Every_call_lands_on_a_function_start_that_has_func_info_naming_that_function()
    {
        CollectionSpec spec = Multi();
        foreach (ProgramSpec p in spec.Programs.Values)
        {
            ReadOnlySpan<Instruction> insns = p.Instructions;
            var starts = p.FuncInfos.ToDictionary(f => f.Instruction, f => spec.Btf!.Type(f.TypeId).Name);
            Assert.Equal(0, p.FuncInfos[0].Instruction);
            Assert.Equal(p.Name, starts[0]);
            for (int i = 0; i < insns.Length; i++)
            {
                if (!insns[i].IsPseudoCall) continue;
                int target = i + insns[i].Immediate + 1;
                Assert.True(starts.ContainsKey(target), $"{p.Name}: call at {i} goes to {target}, no function starts there");
            }
        }
        ProgramSpec first = spec.Programs["first_tp"];
        Assert.Equal(["first_tp", "global_helper", "static_helper"], first.FuncInfos.Select(f => spec.Btf!.Type(f.TypeId).Name));
        Assert.Equal(["second_tp", "static_helper"], spec.Programs["second_tp"].FuncInfos.Select(f => spec.Btf!.Type(f.TypeId).Name));
    }

    [Fact]
    public void Appended_functions_keep_their_code_and_their_line_info_moves_with_them()
    {
        CollectionSpec spec = Multi();
        ProgramSpec first = spec.Programs["first_tp"], third = spec.Programs["third_tp"];
        int helperInFirst = first.FuncInfos[1].Instruction, helperInThird = third.FuncInfos[1].Instruction;
        int length = first.FuncInfos[2].Instruction - helperInFirst;
        // global_helper is identical in both programs except call immediates (its callee sits at the same distance).
        Assert.True(first.Instructions.Slice(helperInFirst, length).SequenceEqual(third.Instructions.Slice(helperInThird, length)));

        var linesFirst = first.LineInfos.Where(l => l.Instruction >= helperInFirst && l.Instruction < helperInFirst + length).ToList();
        var linesThird = third.LineInfos.Where(l => l.Instruction >= helperInThird && l.Instruction < helperInThird + length).ToList();
        Assert.NotEmpty(linesFirst);
        Assert.Equal(linesFirst.Select(l => (l.Instruction - helperInFirst, l.LineColumn)), linesThird.Select(l => (l.Instruction - helperInThird, l.LineColumn)));
        foreach (ProgramSpec p in spec.Programs.Values)
        {
            Assert.Equal(p.LineInfos.OrderBy(l => l.Instruction).Select(l => l.Instruction), p.LineInfos.Select(l => l.Instruction));
            Assert.All(p.LineInfos, l => Assert.InRange(l.Instruction, 0, p.Instructions.Length - 1));
        }
        Assert.Equal(8, first.FuncInfoRecordSize);
        Assert.Equal(16, first.LineInfoRecordSize);
    }

    [Fact]
    public void BTF_maps_have_their_types_sizes_and_key_value_type_ids()
    {
        CollectionSpec spec = Multi();
        BtfSpec btf = spec.Btf!;
        MapSpec pairs = spec.Maps["pairs"];
        Assert.Equal((BpfMapType.Hash, 4u, 16u, 128u), (pairs.Type, pairs.KeySize, pairs.ValueSize, pairs.MaxEntries));
        Assert.Equal("__u32", btf.Type(pairs.BtfKeyTypeId).Name);
        Assert.Equal("pair", btf.Type(pairs.BtfValueTypeId).Name);
        Assert.Equal((BpfMapType.PercpuArray, 4u, 8u, 4u), (spec.Maps["percpu"].Type, spec.Maps["percpu"].KeySize, spec.Maps["percpu"].ValueSize, spec.Maps["percpu"].MaxEntries));
        Assert.Equal((BpfMapType.Ringbuf, 0u, 0u, 65536u), (spec.Maps["ring"].Type, spec.Maps["ring"].KeySize, spec.Maps["ring"].ValueSize, spec.Maps["ring"].MaxEntries));
        MapSpec perf = spec.Maps["perf"];
        Assert.Equal((BpfMapType.PerfEventArray, 4u, 4u, 0u, 0, 0), (perf.Type, perf.KeySize, perf.ValueSize, perf.MaxEntries, perf.BtfKeyTypeId, perf.BtfValueTypeId));
        Assert.Equal((BpfMapType.LruHash, 8u, 4u, 64u, 2u), (spec.Maps["lru"].Type, spec.Maps["lru"].KeySize, spec.Maps["lru"].ValueSize, spec.Maps["lru"].MaxEntries, spec.Maps["lru"].Flags));
        Assert.All(new[] { "pairs", "percpu", "ring", "perf", "lru" }, n => Assert.False(spec.Maps[n].IsGlobalData));
    }

    [Fact]
    public void Global_data_sections_are_one_entry_arrays_with_their_contents()
    {
        CollectionSpec spec = Multi();
        MapSpec rodata = spec.Maps[".rodata"], data = spec.Maps[".data"], bss = spec.Maps[".bss"];
        Assert.All(new[] { rodata, data, bss }, m => Assert.Equal((BpfMapType.Array, 4u, 1u), (m.Type, m.KeySize, m.MaxEntries)));
        Assert.True(rodata.Freeze);
        Assert.Equal(MapSpec.FlagReadOnlyProgram, rodata.Flags);
        Assert.False(data.Freeze);
        Assert.Equal(0u, data.Flags);
        Assert.Equal(42u, BitConverter.ToUInt32(rodata.Contents!, spec.Variables["answer"].Offset));
        Assert.Equal(0x1122334455667788UL, BitConverter.ToUInt64(rodata.Contents!, spec.Variables["big_constant"].Offset));
        Assert.Equal(7u, BitConverter.ToUInt32(data.Contents!, spec.Variables["data_counter"].Offset));
        Assert.Equal(5u, BitConverter.ToUInt32(data.Contents!, spec.Variables["static_data2"].Offset));
        Assert.Equal(bss.ValueSize, (uint)bss.Contents!.Length);
        Assert.All(bss.Contents, b => Assert.Equal(0, b));
        Assert.Equal(BtfKind.DataSec, spec.Btf!.Type(rodata.BtfValueTypeId).Kind);
        Assert.Equal(".rodata", spec.Btf.Type(rodata.BtfValueTypeId).Name);
        Assert.Equal(".bss", spec.Btf.Type(bss.BtfValueTypeId).Name);
    }

    [LlvmObjdumpFact]
    public void DATASEC_sizes_and_VAR_offsets_are_fixed_from_the_ELF()
    {
        var objects = LlvmObjdump.Require(TestObjects.SymbolTable(TestObjects.Multi, 'O'));
        CollectionSpec spec = Multi();
        BtfSpec btf = spec.Btf!;
        int checkedVars = 0;
        foreach (string section in new[] { ".rodata", ".data", ".bss", ".maps" })
        {
            BtfType sec = btf.Type(btf.FindTypeId(section, BtfKind.DataSec));
            if (section != ".maps") Assert.Equal(spec.Maps[section].ValueSize, sec.Size);
            Assert.NotEqual(0u, sec.Size);
            foreach (BtfDataSecVar v in sec.Variables)
            {
                string name = btf.Type(v.TypeId).Name;
                Assert.Equal(section, objects[name].Section);
                Assert.Equal(objects[name].Offset, (ulong)v.Offset);
                checkedVars++;
            }
        }
        Assert.True(checkedVars >= 12, $"only {checkedVars} variables");
        // The fixed BTF survives a round trip through its bytes.
        BtfSpec again = BtfSpec.Parse(btf.Marshal());
        Assert.Equal(btf.TypeCount, again.TypeCount);
        Assert.Equal(btf.Type(btf.FindTypeId(".data", BtfKind.DataSec)).Variables, again.Type(again.FindTypeId(".data", BtfKind.DataSec)).Variables);
    }

    [Fact]
    public void Map_and_data_references_are_recorded_and_linked_into_ld_imm64()
    {
        CollectionSpec spec = Multi();
        ProgramSpec first = spec.Programs["first_tp"];
        MapReference percpu = first.MapReferences.Single(r => r.MapName == "percpu");
        Assert.Equal(MapReferenceKind.Fd, percpu.Kind);
        MapReference big = first.MapReferences.Single(r => r.MapName == ".rodata" && r.Offset == (uint)spec.Variables["big_constant"].Offset);
        Assert.Equal((MapReferenceKind.Value, (uint)spec.Variables["big_constant"].Offset), (big.Kind, big.Offset));
        // Through the section symbol: static_data2 is ".data + 16".
        MapReference viaSection = spec.Programs["raw_prog"].MapReferences.Single(r => r.MapName == ".data" && r.Offset == (uint)spec.Variables["static_data2"].Offset);
        Assert.Equal(MapReferenceKind.Value, viaSection.Kind);
        // The appended global_helper refers to pairs and .data from inside first_tp.
        Assert.Contains(first.MapReferences, r => r.MapName == "pairs" && r.Instruction > first.FuncInfos[1].Instruction);
        Assert.Equal([".bss", ".data", ".rodata", "lru", "pairs", "perf", "ring"], spec.Programs["third_tp"].MapNames.Order(StringComparer.Ordinal));

        var fds = new Dictionary<string, int> { ["percpu"] = 11, [".rodata"] = 12, ["pairs"] = 13, [".data"] = 14, [".bss"] = 15 };
        LinkedProgram linked = first.Link(null, n => fds[n]);
        Instruction[] code = Instruction.DecodeAll(linked.Instructions);
        Assert.Equal(first.Instructions.Length, linked.InstructionCount);
        Assert.Equal((OpCodes.PseudoMapFd, 11), (code[percpu.Instruction].Src, code[percpu.Instruction].Immediate));
        Assert.Equal((OpCodes.PseudoMapValue, 12, (int)big.Offset), (code[big.Instruction].Src, code[big.Instruction].Immediate, code[big.Instruction + 1].Immediate));
        Assert.Equal(first.FuncInfos.Count, linked.FuncInfoCount);
        Assert.Equal(first.FuncInfos.Count * 8, linked.FuncInfo.Length);
        Assert.Equal((uint)first.FuncInfos[1].Instruction, BitConverter.ToUInt32(linked.FuncInfo, 8));
        Assert.Equal((uint)first.LineInfos[^1].Instruction, BitConverter.ToUInt32(linked.LineInfo, (linked.LineInfoCount - 1) * 16));
    }

    [Fact]
    public void SetConstant_writes_rodata_and_checks_name_and_size()
    {
        CollectionSpec spec = Multi();
        spec.SetConstant("answer", 7u);
        spec.SetConstant<ulong>("big_constant", 99);
        spec.SetConstant("label", "tcp\0\0\0\0\0"u8);
        spec.SetConstant("data_counter", 1234u);
        byte[] ro = spec.Maps[".rodata"].Contents!;
        Assert.Equal(7u, BitConverter.ToUInt32(ro, spec.Variables["answer"].Offset));
        Assert.Equal(99UL, BitConverter.ToUInt64(ro, spec.Variables["big_constant"].Offset));
        Assert.Equal((byte)'t', ro[spec.Variables["label"].Offset]);
        Assert.Equal(1234u, BitConverter.ToUInt32(spec.Maps[".data"].Contents!, spec.Variables["data_counter"].Offset));

        BpfException size = Assert.Throws<BpfException>(() => spec.SetConstant<ushort>("answer", 1));
        Assert.Contains("4 bytes", size.Message, StringComparison.Ordinal);
        BpfException missing = Assert.Throws<BpfException>(() => spec.SetConstant("no_such_variable", 1u));
        Assert.Contains("no_such_variable", missing.Message, StringComparison.Ordinal);
        Assert.Throws<BpfException>(() => spec.SetConstant("bss_total", 1UL));
    }

    [Fact]
    public void Map_specs_can_be_changed_before_load()
    {
        CollectionSpec spec = Multi();
        MapSpec ring = spec.Maps["ring"];
        ring.Type = BpfMapType.PerfEventArray;
        ring.KeySize = 4;
        ring.ValueSize = 4;
        ring.MaxEntries = 0;
        Assert.Equal((BpfMapType.PerfEventArray, 4u, 4u, 0u), (ring.Type, ring.KeySize, ring.ValueSize, ring.MaxEntries));
        Assert.Equal(BpfMapType.Ringbuf, Multi().Maps["ring"].Type);
    }

    [Fact]
    public void The_tool_object_parses_into_its_four_programs_and_eleven_maps_plus_rodata_and_bss()
    {
        CollectionSpec spec = CollectionSpec.Parse(TestObjects.Bytes(TestObjects.TcpStates));
        Assert.Equal(["tcpstates_btf", "tcpstates_btf_nested", "tcpstates_hits", "tcpstates_tp"], spec.Programs.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["caught", "cpu_rings", "dports", "drops", "events", "hits", "marks", "seen", "sk_states", "sports", "timestamps", ".bss", ".rodata"], spec.Maps.Keys.OrderBy(k => k.StartsWith('.')).ThenBy(k => k, StringComparer.Ordinal));
        Assert.Equal((BpfMapType.Array, 1u << 10), (spec.Maps["cpu_rings"].Type, spec.Maps["cpu_rings"].Flags));   // BPF_F_MMAPABLE
        Assert.Equal("Dual BSD/GPL", spec.License);
        Assert.Equal(BpfAttachType.TraceRawTp, spec.Programs["tcpstates_btf"].AttachType);
        Assert.Equal("inet_sock_set_state", spec.Programs["tcpstates_btf"].AttachTo);
        Assert.Equal("sock/inet_sock_set_state", spec.Programs["tcpstates_tp"].AttachTo);
        Assert.Equal(BpfProgramType.RawTracepoint, spec.Programs["tcpstates_hits"].Type);
        Assert.Equal("inet_sock_set_state", spec.Programs["tcpstates_hits"].AttachTo);
        Assert.NotEmpty(spec.Programs["tcpstates_btf"].CoreRelocations);
        Assert.Equal(["cpu_ring_bytes", "filter_by_dport", "filter_by_sport", "reader_waiting", "ring_per_cpu", "target_cgroup", "target_family", "target_netns", "use_ringbuf", "want_owner", "weak_memory_order"], spec.Variables.Keys.Order(StringComparer.Ordinal));
        spec.SetConstant("target_family", (ushort)10);
        spec.SetConstant("use_ringbuf", (byte)0);
    }

    [Theory]
    [InlineData("tracepoint/sock/inet_sock_set_state", BpfProgramType.Tracepoint, null, "sock/inet_sock_set_state")]
    [InlineData("tp/sched/sched_switch", BpfProgramType.Tracepoint, null, "sched/sched_switch")]
    [InlineData("raw_tracepoint/sched_switch", BpfProgramType.RawTracepoint, null, "sched_switch")]
    [InlineData("raw_tp/sched_switch", BpfProgramType.RawTracepoint, null, "sched_switch")]
    [InlineData("tp_btf/inet_sock_set_state", BpfProgramType.Tracing, BpfAttachType.TraceRawTp, "inet_sock_set_state")]
    [InlineData("kprobe/tcp_connect", BpfProgramType.Kprobe, null, "tcp_connect")]
    [InlineData("kretprobe/tcp_connect", BpfProgramType.Kprobe, null, "tcp_connect")]
    [InlineData("fentry/tcp_connect", BpfProgramType.Tracing, BpfAttachType.TraceFentry, "tcp_connect")]
    [InlineData("fexit/tcp_connect", BpfProgramType.Tracing, BpfAttachType.TraceFexit, "tcp_connect")]
    public void Section_names_give_type_attach_type_and_target(string section, BpfProgramType type, BpfAttachType? attach, string target)
    {
        ProgramSection parsed = ProgramSection.Parse(section);
        Assert.Equal((type, attach, target), (parsed.Type, parsed.AttachType, parsed.AttachTo));
        Assert.Equal(section.StartsWith("kretprobe", StringComparison.Ordinal), parsed.IsReturnProbe);
    }

    [Theory]
    [InlineData("tracepoint/no_category")]
    [InlineData("tp_btf/")]
    [InlineData("xdp.frags")]
    [InlineData("cgroup/connect5")]
    [InlineData(".text")]
    public void Unknown_or_incomplete_section_names_are_refused(string section)
    {
        Assert.False(ProgramSection.TryParse(section, out _));
        // Parse keeps the program, of no known type, for Collection.Load to report and skip.
        ProgramSection parsed = ProgramSection.Parse(section);
        Assert.False(parsed.IsKnown);
        Assert.Equal(BpfProgramType.Unspec, parsed.Type);
    }
}
