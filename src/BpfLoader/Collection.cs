using BpfLoader.Btf;
using BpfLoader.Externs;
using BpfLoader.Kernel;
using BpfLoader.Links;
using BpfLoader.Maps;
using BpfLoader.Programs;
using BpfLoader.Spec;

namespace BpfLoader;

/// <summary>
/// The kernel objects made from a <see cref="CollectionSpec"/>: maps created and filled, programs
/// relocated and loaded. Disposing it closes every fd, which detaches and frees them all.
/// </summary>
public sealed class Collection : IDisposable
{
    private readonly Dictionary<string, BpfMap> _maps;
    private readonly Dictionary<string, BpfProgram> _programs;
    private readonly Dictionary<string, ProgramSpec> _specs;
    private readonly BtfHandle? _btf;

    private Collection(Dictionary<string, BpfMap> maps, Dictionary<string, BpfProgram> programs,
        Dictionary<string, ProgramSpec> specs, BtfHandle? btf)
    {
        _maps = maps;
        _programs = programs;
        _specs = specs;
        _btf = btf;
    }

    public IReadOnlyDictionary<string, BpfMap> Maps => _maps;

    public IReadOnlyDictionary<string, BpfProgram> Programs => _programs;

    /// <summary>Creates the maps, fills and freezes global data, then relocates and loads the programs.</summary>
    public static Collection Load(CollectionSpec spec, CollectionOptions? options = null)
    {
        options ??= new CollectionOptions();
        var wanted = spec.Programs.Values
            .Where(p => options.Programs is null || options.Programs.Contains(p.Name))
            .ToList();
        if (options.Programs is not null)
        {
            foreach (string name in options.Programs.Where(n => !spec.Programs.ContainsKey(n)))
                throw new BpfException($"the object has no program '{name}' (it has: {string.Join(", ", spec.Programs.Keys)})");
        }

        // The kernel's BTF is needed only while relocating and loading: ours is unmapped when done.
        using BtfSpec? ownKernelBtf = options.KernelBtf is null && wanted.Any(NeedsKernelBtf) ? BtfSpec.LoadKernel() : null;
        BtfSpec? kernelBtf = options.KernelBtf ?? ownKernelBtf;

        var maps = new Dictionary<string, BpfMap>(StringComparer.Ordinal);
        var programs = new Dictionary<string, BpfProgram>(StringComparer.Ordinal);
        BtfHandle? btf = null;
        try
        {
            btf = LoadObjectBtf(spec);
            foreach (string name in wanted.SelectMany(p => p.MapNames).Distinct(StringComparer.Ordinal))
                CreateNamedMap(spec, name, maps, btf, options);

            CoreRelocator? relocator = kernelBtf is null ? null : spec.CreateCoreRelocator(kernelBtf, options.StrictCoreRelocations);
            Dictionary<string, ulong> symbols = KernelSymbols.Find(wanted
                .SelectMany(p => p.ExternReferences).Select(r => spec.Externs[r.Name])
                .Where(e => e.Kind == ExternKind.Ksym && e.IsUntyped).Select(e => e.Name).ToHashSet(StringComparer.Ordinal));
            foreach (ProgramSpec program in wanted)
                programs[program.Name] = LoadProgram(program, relocator, kernelBtf, maps, btf, options.LogLevel,
                    name => symbols.TryGetValue(name, out ulong a) ? a : null);
            FillProgramArrays(spec, maps, programs);
        }
        catch
        {
            foreach (BpfProgram p in programs.Values) p.Dispose();
            foreach (BpfMap m in maps.Values) m.Dispose();
            btf?.Dispose();
            throw;
        }
        return new Collection(maps, programs, wanted.ToDictionary(p => p.Name, StringComparer.Ordinal), btf);
    }

    /// <summary>Attaches a loaded program where its section name says: tracepoint, raw tracepoint, tp_btf, fentry/fexit.</summary>
    public BpfLink Attach(string programName)
    {
        if (!_programs.TryGetValue(programName, out BpfProgram? program))
            throw new BpfException($"program '{programName}' is not loaded");
        ProgramSpec spec = _specs[programName];
        string target = spec.AttachTo ?? throw new BpfException($"program '{programName}' ({spec.SectionName}) names nothing to attach to");
        switch (spec.Type)
        {
            case BpfProgramType.Tracepoint:
                int slash = target.IndexOf('/', StringComparison.Ordinal);
                if (slash <= 0) throw new BpfException($"tracepoint section '{spec.SectionName}' is not tracepoint/CATEGORY/NAME");
                return TracepointLink.Attach(program, target[..slash], target[(slash + 1)..]);
            case BpfProgramType.RawTracepoint:
                return RawTracepointLink.Attach(program, target);
            case BpfProgramType.Tracing:
                return TracingLink.Attach(program);
            default:
                throw new BpfException($"attaching {spec.Type} programs ({spec.SectionName}) is not supported");
        }
    }

    public void Dispose()
    {
        foreach (BpfProgram p in _programs.Values) p.Dispose();
        foreach (BpfMap m in _maps.Values) m.Dispose();
        _btf?.Dispose();
    }

    private static bool NeedsKernelBtf(ProgramSpec p) =>
        p.CoreRelocations.Count > 0 || p.Type == BpfProgramType.Tracing || p.ExternReferences.Count > 0;

    /// <summary>
    /// Creates map <paramref name="name"/> unless done: a map of maps after the maps its initial values name, with its
    /// inner template (created, passed as inner_map_fd, closed) and filled with their fds, as libbpf does.
    /// </summary>
    private static BpfMap CreateNamedMap(CollectionSpec spec, string name, Dictionary<string, BpfMap> maps, BtfHandle? btf,
        CollectionOptions options, int depth = 0)
    {
        if (maps.TryGetValue(name, out BpfMap? existing)) return existing;
        if (!spec.Maps.TryGetValue(name, out MapSpec? map))
            throw new BpfObjectException($"a program or map refers to map '{name}', which the object does not define");
        if (map.Type is not (BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps))
        {
            byte[]? contents = name == ExternSpec.KconfigMapName
                ? KconfigValues.Build(spec, options.KernelConfig ?? KernelConfig.LoadRunning())
                : null;
            return maps[name] = CreateMap(map, btf, contents);
        }

        if (depth > 0) throw new BpfObjectException($"map {name}: a map of maps cannot hold another map of maps");
        var inner = new List<(uint Key, BpfMap Map)>();
        foreach ((uint key, string innerName) in map.InitialEntries)
            inner.Add((key, CreateNamedMap(spec, innerName, maps, btf, options, depth + 1)));
        MapSpec template = map.InnerMap
            ?? throw new BpfObjectException($"map {name}: a {map.Type} needs __array(values, struct {{ ... }}) to describe its inner maps");
        BpfMap outer;
        using (BpfMap templateMap = CreateMap(template, btf))
            outer = maps[name] = CreateMap(map, btf, innerMap: templateMap);
        Span<byte> keyBytes = stackalloc byte[Math.Max(4, (int)map.KeySize)];
        foreach ((uint key, BpfMap value) in inner)
        {
            keyBytes.Clear();
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(keyBytes, key);
            outer.Update(keyBytes[..(int)map.KeySize], BitConverter.GetBytes(value.Fd.Value));
        }
        return outer;
    }

    /// <summary>Prog arrays' initial values (<c>.values = { [i] = &amp;prog }</c>), once the programs are loaded.</summary>
    private static void FillProgramArrays(CollectionSpec spec, Dictionary<string, BpfMap> maps, Dictionary<string, BpfProgram> programs)
    {
        foreach ((string name, BpfMap map) in maps)
        {
            MapSpec mapSpec = spec.Maps[name];
            if (mapSpec.Type != BpfMapType.ProgArray) continue;
            foreach ((uint key, string programName) in mapSpec.InitialEntries)
            {
                if (!programs.TryGetValue(programName, out BpfProgram? program))
                    throw new BpfException($"prog array {name} starts with program '{programName}' at [{key}], which is not loaded (add it to CollectionOptions.Programs)");
                map.Update(BitConverter.GetBytes(key), BitConverter.GetBytes(program.Fd.Value));
            }
        }
    }

    /// <summary>The object's BTF for func/line info and map types; a kernel that refuses it only costs us those.</summary>
    private static BtfHandle? LoadObjectBtf(CollectionSpec spec)
    {
        if (spec.Btf is null || !KernelFeatures.HasBtf) return null;
        try
        {
            return BtfHandle.Load(spec.Btf.Marshal());
        }
        catch (BtfLoadException)
        {
            return null;
        }
    }

    private static BpfMap CreateMap(MapSpec spec, BtfHandle? btf, byte[]? contentsOverride = null, BpfMap? innerMap = null)
    {
        BpfMapType type = spec.Type;
        uint maxEntries = spec.MaxEntries;
        if (type == BpfMapType.PerfEventArray && maxEntries == 0) maxEntries = (uint)BpfMap.PossibleCpuCount;
        // Perf arrays and ring buffers take no BTF key/value types.
        bool typed = btf is not null && spec.BtfValueTypeId != 0 && type is not (BpfMapType.PerfEventArray or BpfMapType.Ringbuf);
        BpfMap map;
        try
        {
            map = BpfMap.Create(Options(spec, type, maxEntries, typed ? btf : null, innerMap));
        }
        catch (BpfSyscallException e) when (typed && e.Errno == Interop.Errno.EINVAL)
        {
            // As libbpf: a kernel that can't take this map's BTF still gets the map.
            map = BpfMap.Create(Options(spec, type, maxEntries, null, innerMap));
        }

        if ((contentsOverride ?? spec.Contents) is { } contents)
        {
            try
            {
                Span<byte> key = stackalloc byte[4];
                map.Update(key, contents);
                if (spec.Freeze) map.Freeze();
            }
            catch
            {
                map.Dispose();
                throw;
            }
        }
        return map;
    }

    private static MapCreateOptions Options(MapSpec spec, BpfMapType type, uint maxEntries, BtfHandle? btf, BpfMap? innerMap) => new()
    {
        InnerMap = innerMap,
        Type = type,
        KeySize = spec.KeySize,
        ValueSize = spec.ValueSize,
        MaxEntries = maxEntries,
        Flags = (MapFlags)spec.Flags,
        Name = spec.Name,
        MapExtra = spec.MapExtra,
        Btf = btf,
        BtfKeyTypeId = btf is null ? 0 : (uint)spec.BtfKeyTypeId,
        BtfValueTypeId = btf is null ? 0 : (uint)spec.BtfValueTypeId,
    };

    private static BpfProgram LoadProgram(ProgramSpec spec, CoreRelocator? relocator, BtfSpec? kernelBtf,
        Dictionary<string, BpfMap> maps, BtfHandle? btf, uint logLevel, Func<string, ulong?> kernelSymbol)
    {
        LinkedProgram linked = spec.Link(relocator, kernelBtf, name => maps[name].Fd.Value, kernelSymbol);
        bool withBtf = btf is not null;
        try
        {
            return LoadLinked(spec, linked, kernelBtf, btf, withBtf, logLevel);
        }
        catch (BpfVerifierException e) when (linked.PoisonedRelocations.Count > 0 && e.VerifierLog.Contains(PoisonCall, StringComparison.Ordinal))
        {
            // Name the relocation, not just "unknown#195896080": the one at the refused instruction if the log says.
            var reached = linked.PoisonedRelocations
                .Where(r => e.VerifierLog.Contains($"{r.Instruction}: (85) {PoisonCall}", StringComparison.Ordinal)).ToList();
            if (reached.Count == 0) reached = [.. linked.PoisonedRelocations];
            throw new BpfVerifierException(e.ProgramName, e.Errno, e.VerifierLog,
                $"{string.Join("; ", reached)}: the kernel's BTF has no such type or field, and the verifier found the access reachable (guard it with bpf_core_field_exists/bpf_core_type_exists)");
        }
    }

    private static readonly string PoisonCall = $"call unknown#{CoreRelocator.PoisonHelperId}";

    private static BpfProgram LoadLinked(ProgramSpec spec, LinkedProgram linked, BtfSpec? kernelBtf, BtfHandle? btf, bool withBtf, uint logLevel)
    {
        return BpfProgram.Load(new ProgramLoadOptions
        {
            Type = spec.Type,
            ExpectedAttachType = spec.AttachType ?? BpfAttachType.None,
            Name = spec.Name,
            Instructions = linked.Instructions,
            License = spec.License,
            KernelVersion = spec.KernelVersion,
            Btf = btf,
            FuncInfo = withBtf ? linked.FuncInfo : default,
            FuncInfoRecordSize = withBtf ? (uint)linked.FuncInfoRecordSize : 0,
            FuncInfoCount = withBtf ? (uint)linked.FuncInfoCount : 0,
            LineInfo = withBtf ? linked.LineInfo : default,
            LineInfoRecordSize = withBtf ? (uint)linked.LineInfoRecordSize : 0,
            LineInfoCount = withBtf ? (uint)linked.LineInfoCount : 0,
            AttachBtfId = AttachBtfId(spec, kernelBtf),
            LogLevel = logLevel,
        });
    }

    /// <summary>tp_btf attaches to the typedef btf_trace_NAME; fentry/fexit to the kernel function itself.</summary>
    private static uint AttachBtfId(ProgramSpec spec, BtfSpec? kernelBtf)
    {
        if (spec.Type != BpfProgramType.Tracing) return 0;
        if (kernelBtf is null || spec.AttachTo is null)
            throw new BpfException($"program '{spec.Name}' ({spec.SectionName}) needs the kernel's BTF to attach");
        bool tracepoint = spec.AttachType == BpfAttachType.TraceRawTp;
        string name = tracepoint ? "btf_trace_" + spec.AttachTo : spec.AttachTo;
        if (!kernelBtf.TryFindTypeId(name, tracepoint ? BtfKind.Typedef : BtfKind.Func, out int id))
            throw new BpfException($"the kernel has no {(tracepoint ? "tracepoint" : "function")} '{spec.AttachTo}' in its BTF ({name})");
        return (uint)id;
    }
}
