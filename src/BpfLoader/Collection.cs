using BpfLoader.Errors;
using BpfLoader.Features;
using BpfLoader.Kernel;
using BpfLoader.Links;
using BpfLoader.Maps;
using BpfLoader.Object;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Externs;
using BpfLoader.Object.Spec;
using BpfLoader.Object.Uapi;
using BpfLoader.Pinning;
using BpfLoader.Programs;

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
    private readonly List<GlobalDataMap> _globalData;
    private readonly Dictionary<string, Variable> _globals;

    private Collection(Dictionary<string, BpfMap> maps, Dictionary<string, BpfProgram> programs,
        Dictionary<string, ProgramSpec> specs, BtfHandle? btf, CollectionSpec spec, Dictionary<string, string> skipped, List<string> reused)
    {
        _maps = maps;
        _programs = programs;
        _specs = specs;
        _btf = btf;
        SkippedPrograms = skipped;
        ReusedPinnedMaps = reused;
        (_globalData, _globals) = CreateGlobals(spec, maps, useMapping: true);
    }

    /// <summary>
    /// Programs not loaded because their section name is none this loader knows (name → section), as
    /// libbpf would refuse them: the object's other programs load regardless.
    /// </summary>
    public IReadOnlyDictionary<string, string> SkippedPrograms { get; }

    /// <summary>Maps marked <c>pinning = LIBBPF_PIN_BY_NAME</c> that were found pinned and reused rather than created.</summary>
    public IReadOnlyList<string> ReusedPinnedMaps { get; }

    /// <summary>
    /// The global variables of the data sections whose maps were created (those a loaded program uses), by
    /// name: read and write them while the programs run (<see cref="Variable.Read{T}"/>, <see cref="Variable.Write{T}(in T)"/>).
    /// </summary>
    public IReadOnlyDictionary<string, Variable> Globals => _globals;

    /// <summary>The variables of <paramref name="spec"/> over <paramref name="maps"/>; <paramref name="useMapping"/> false reaches them by element calls only.</summary>
    internal static (List<GlobalDataMap>, Dictionary<string, Variable>) CreateGlobals(CollectionSpec spec, IReadOnlyDictionary<string, BpfMap> maps, bool useMapping)
    {
        var data = new Dictionary<string, GlobalDataMap>(StringComparer.Ordinal);
        var variables = new Dictionary<string, Variable>(StringComparer.Ordinal);
        foreach (GlobalVariable v in spec.Variables.Values)
        {
            if (!maps.TryGetValue(v.MapName, out BpfMap? map) || !spec.Maps.TryGetValue(v.MapName, out MapSpec? section))
                continue;
            if (!data.TryGetValue(v.MapName, out GlobalDataMap? d))
                data[v.MapName] = d = new GlobalDataMap(map, section.Freeze, useMapping);
            variables[v.Name] = new Variable(v.Name, d, v.Offset, v.Size);
        }
        return ([.. data.Values], variables);
    }

    /// <summary>The loaded maps by name, global data maps (.rodata, .data, .bss) included.</summary>
    public IReadOnlyDictionary<string, BpfMap> Maps => _maps;

    /// <summary>The loaded programs by function name.</summary>
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
            foreach (ProgramSpec p in wanted.Where(p => p.Type == BpfProgramType.Unspec))
                throw new BpfObjectException($"program '{p.Name}': section '{p.SectionName}' names no program type this loader knows");
        }
        var skipped = wanted.Where(p => p.Type == BpfProgramType.Unspec)
            .ToDictionary(p => p.Name, p => p.SectionName, StringComparer.Ordinal);
        wanted.RemoveAll(p => p.Type == BpfProgramType.Unspec);
        var reused = new List<string>();

        // The kernel's BTF is needed only while relocating and loading: ours is unmapped when done. Its index is built
        // on a thread of its own while the object's BTF and the maps are created.
        BtfSpec? kernelBtf = options.KernelBtf;
        KernelBtfLoad? ownKernelBtf = null;
        KernelBtfLoad? kernelBtfLoading = null;
        if (kernelBtf is null && wanted.Any(NeedsKernelBtf))
            kernelBtfLoading = options.KernelBtfLoading ?? (ownKernelBtf = KernelBtf.LoadInBackground());

        var maps = new Dictionary<string, BpfMap>(StringComparer.Ordinal);
        var programs = new Dictionary<string, BpfProgram>(StringComparer.Ordinal);
        BtfHandle? btf = null;
        try
        {
            btf = LoadObjectBtf(spec);
            foreach (string name in wanted.SelectMany(p => p.MapNames).Distinct(StringComparer.Ordinal))
                CreateNamedMap(spec, name, maps, btf, options, reused);
            options.MapsCreated?.Invoke(maps);
            if (kernelBtfLoading is not null)
                kernelBtf = kernelBtfLoading.Spec;

            CoreRelocator? relocator = kernelBtf is null ? null : spec.CreateCoreRelocator(kernelBtf, options.StrictCoreRelocations);
            Dictionary<string, ulong> symbols = KernelSymbols.Find(wanted
                .SelectMany(p => p.ExternReferences).Select(r => spec.Externs[r.Name])
                .Where(e => e.Kind == ExternKind.Ksym && e.IsUntyped).Select(e => e.Name).ToHashSet(StringComparer.Ordinal));
            // Relocated one after another (they share the relocator), then verified at once: the kernel's verifier is
            // most of a load, and runs on the calling thread.
            var linked = wanted.Select(p => p.Link(relocator, kernelBtf, name => maps[name].Fd.Value,
                name => symbols.TryGetValue(name, out ulong a) ? a : null)).ToList();
            var attachIds = wanted.Select(p => AttachBtfId(p, kernelBtf)).ToList();
            BpfProgram[] loaded = ConcurrentLoads.Run(wanted.Count,
                i => LoadProgram(wanted[i], linked[i], attachIds[i], btf, options.LogLevel));
            for (int i = 0; i < loaded.Length; i++)
                programs[wanted[i].Name] = loaded[i];
            FillProgramArrays(spec, maps, programs);
        }
        catch
        {
            foreach (BpfProgram p in programs.Values) p.Dispose();
            foreach (BpfMap m in maps.Values) m.Dispose();
            btf?.Dispose();
            throw;
        }
        finally
        {
            ownKernelBtf?.Dispose();
        }
        return new Collection(maps, programs, wanted.ToDictionary(p => p.Name, StringComparer.Ordinal), btf, spec, skipped, reused);
    }

    /// <summary>
    /// Attaches a loaded program where its section name says: tracepoint, raw tracepoint, tp_btf,
    /// fentry/fexit/fmod_ret, lsm, iterators, <c>kprobe/FN[+OFF]</c>, <c>uprobe/PATH:FN[+OFF]</c> and
    /// <c>uprobe/PATH:0xOFFSET</c> (every process). Programs
    /// whose hook the section does not name (XDP, tc, cgroup, socket, perf_event) attach through
    /// <see cref="XdpLink"/>, <see cref="TcxLink"/>, <see cref="CgroupLink"/>, <see cref="SocketFilter"/>,
    /// <see cref="PerfEventLink"/> with the program from <see cref="Programs"/>.
    /// </summary>
    /// <param name="programName">The program's function name.</param>
    public BpfLink Attach(string programName)
    {
        if (!_programs.TryGetValue(programName, out BpfProgram? program))
            throw new BpfException(SkippedPrograms.TryGetValue(programName, out string? section)
                ? $"program '{programName}' was not loaded: section '{section}' names no program type this loader knows"
                : $"program '{programName}' is not loaded");
        ProgramSpec spec = _specs[programName];
        if (spec.Type is BpfProgramType.Tracing or BpfProgramType.Lsm)
            return spec.AttachType == BpfAttachType.TraceIter ? IterLink.Attach(program) : TracingLink.Attach(program, spec.AttachTo);
        string target = spec.AttachTo ?? throw new BpfException(
            $"program '{programName}' ({spec.SectionName}) names nothing to attach to: {HowToAttach(spec.Type)}");
        switch (spec.Type)
        {
            case BpfProgramType.Kprobe when spec.SectionName.StartsWith('u'):
                return AttachUprobe(program, spec, target);
            case BpfProgramType.Kprobe when spec.SectionName.StartsWith("ksyscall", StringComparison.Ordinal)
                || spec.SectionName.StartsWith("kretsyscall", StringComparison.Ordinal):
                throw new BpfException($"program '{programName}' ({spec.SectionName}): ksyscall needs the architecture's syscall prefix, which this loader does not resolve; use PerfEventLink.AttachKprobe");
            case BpfProgramType.Kprobe:
                int plus = target.LastIndexOf('+');
                ulong offset = 0;
                if (plus > 0 && ulong.TryParse(target.AsSpan(plus + 1).TrimStart("0x"), System.Globalization.NumberStyles.HexNumber,
                        System.Globalization.CultureInfo.InvariantCulture, out ulong o))
                    (target, offset) = (target[..plus], o);
                return PerfEventLink.AttachKprobe(program, target, spec.IsReturnProbe, offset);
            case BpfProgramType.Tracepoint:
                int slash = target.IndexOf('/', StringComparison.Ordinal);
                if (slash <= 0) throw new BpfException($"tracepoint section '{spec.SectionName}' is not tracepoint/CATEGORY/NAME");
                return TracepointLink.Attach(program, target[..slash], target[(slash + 1)..]);
            case BpfProgramType.RawTracepoint:
                return RawTracepointLink.Attach(program, target);
            default:
                throw new BpfException($"program '{programName}' ({spec.SectionName}): {HowToAttach(spec.Type)}");
        }
    }

    private static BpfLink AttachUprobe(BpfProgram program, ProgramSpec spec, string target)
    {
        // libbpf's uprobe/PATH:FUNC[+OFFSET] or uprobe/PATH:0xOFFSET, in every process that maps PATH.
        int colon = target.LastIndexOf(':');
        if (colon <= 0 || colon == target.Length - 1)
            throw new BpfException($"program '{spec.Name}' ({spec.SectionName}): auto-attach takes uprobe/PATH:FUNCTION or uprobe/PATH:0xOFFSET");
        string path = target[..colon], where = target[(colon + 1)..];
        var hex = System.Globalization.NumberStyles.HexNumber;
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        ulong offset;
        if (where.StartsWith("0x", StringComparison.Ordinal) && ulong.TryParse(where.AsSpan(2), hex, invariant, out ulong raw))
        {
            offset = raw;
        }
        else
        {
            int plus = where.IndexOf('+', StringComparison.Ordinal);
            ulong extra = 0;
            if (plus > 0 && !ulong.TryParse(where.AsSpan(plus + 1).TrimStart("0x"), hex, invariant, out extra))
                throw new BpfException($"program '{spec.Name}' ({spec.SectionName}): '{where[(plus + 1)..]}' is not a hexadecimal offset");
            offset = UprobeTarget.FileOffset(path, plus > 0 ? where[..plus] : where) + extra;
        }
        return PerfEventLink.AttachUprobe(program, path, offset, spec.IsReturnProbe);
    }

    private static string HowToAttach(BpfProgramType type) => type switch
    {
        BpfProgramType.Xdp => "attach it with XdpLink.Attach(program, interface)",
        BpfProgramType.SchedCls => "attach it with TcxLink.Attach(program, interface, direction)",
        BpfProgramType.SocketFilter => "attach it with SocketFilter.Attach(socket, program)",
        BpfProgramType.PerfEvent => "attach it with PerfEventLink.AttachSoftware",
        BpfProgramType.CgroupSkb or BpfProgramType.CgroupSock or BpfProgramType.CgroupSockAddr or BpfProgramType.SockOps
            or BpfProgramType.CgroupDevice or BpfProgramType.CgroupSysctl or BpfProgramType.CgroupSockopt
            => "attach it with CgroupLink.Attach(program, cgroupPath)",
        BpfProgramType.Kprobe => "attach it with PerfEventLink.AttachKprobe or AttachUprobe",
        BpfProgramType.RawTracepoint or BpfProgramType.RawTracepointWritable => "attach it with RawTracepointLink.Attach(program, name)",
        BpfProgramType.Tracepoint => "attach it with TracepointLink.Attach(program, category, name)",
        _ => $"attaching {type} programs is not supported",
    };

    /// <summary>LIBBPF_PIN_BY_NAME in a map definition's <c>pinning</c> member.</summary>
    private const uint PinByName = 1;

    /// <summary>As libbpf: reuse the map pinned at DIR/NAME if it is compatible, else create it and pin it there.</summary>
    private static BpfMap OpenOrCreatePinned(MapSpec spec, BtfHandle? btf, string directory, List<string> reused)
    {
        string path = Path.Combine(directory, spec.Name);
        if (BpfPins.Exists(path))
        {
            BpfMap pinned = BpfPins.OpenMap(path);
            uint maxEntries = spec.Type == BpfMapType.PerfEventArray && spec.MaxEntries == 0 ? (uint)BpfMap.PossibleCpuCount : spec.MaxEntries;
            var differences = new List<string>();
            if (pinned.Type != spec.Type) differences.Add($"type {pinned.Type}, not {spec.Type}");
            if (pinned.KeySize != spec.KeySize) differences.Add($"key size {pinned.KeySize}, not {spec.KeySize}");
            if (pinned.ValueSize != spec.ValueSize) differences.Add($"value size {pinned.ValueSize}, not {spec.ValueSize}");
            if (pinned.MaxEntries != maxEntries) differences.Add($"max entries {pinned.MaxEntries}, not {maxEntries}");
            if ((uint)pinned.Flags != spec.Flags) differences.Add($"flags 0x{(uint)pinned.Flags:x}, not 0x{spec.Flags:x}");
            if (differences.Count == 0)
            {
                reused.Add(spec.Name);
                return pinned;
            }
            pinned.Dispose();
            throw new BpfException($"map '{spec.Name}' cannot reuse the map pinned at {path}: it has {string.Join(", ", differences)}");
        }
        BpfMap map = CreateMap(spec, btf);
        try
        {
            BpfPins.Pin(map, path);
        }
        catch
        {
            map.Dispose();
            throw;
        }
        return map;
    }

    /// <summary>Closes every program and map fd of the collection, and its BTF; links made from it stay until disposed.</summary>
    public void Dispose()
    {
        foreach (GlobalDataMap d in _globalData) d.Dispose();
        foreach (BpfProgram p in _programs.Values) p.Dispose();
        foreach (BpfMap m in _maps.Values) m.Dispose();
        _btf?.Dispose();
    }

    private static bool NeedsKernelBtf(ProgramSpec p) =>
        p.CoreRelocations.Count > 0 || p.Type is BpfProgramType.Tracing or BpfProgramType.Lsm || p.ExternReferences.Count > 0;

    /// <summary>
    /// Creates map <paramref name="name"/> unless done: a map of maps after the maps its initial values name, with its
    /// inner template (created, passed as inner_map_fd, closed) and filled with their fds, as libbpf does.
    /// </summary>
    private static BpfMap CreateNamedMap(CollectionSpec spec, string name, Dictionary<string, BpfMap> maps, BtfHandle? btf,
        CollectionOptions options, List<string> reused, int depth = 0)
    {
        if (maps.TryGetValue(name, out BpfMap? existing)) return existing;
        if (!spec.Maps.TryGetValue(name, out MapSpec? map))
            throw new BpfObjectException($"a program or map refers to map '{name}', which the object does not define");
        if (map.Type is not (BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps))
        {
            byte[]? contents = name == ExternSpec.KconfigMapName
                ? KconfigValues.Build(spec, options.KernelConfig ?? RunningKernelConfig.Load())
                : null;
            return maps[name] = map.Pinning == PinByName
                ? OpenOrCreatePinned(map, btf, options.PinPath ?? BpfPins.DefaultPath, reused)
                : CreateMap(map, btf, contents);
        }

        if (depth > 0) throw new BpfObjectException($"map {name}: a map of maps cannot hold another map of maps");
        var inner = new List<(uint Key, BpfMap Map)>();
        foreach ((uint key, string innerName) in map.InitialEntries)
            inner.Add((key, CreateNamedMap(spec, innerName, maps, btf, options, reused, depth + 1)));
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
        catch (BpfSyscallException e) when (typed && e.Errno == Errors.Errno.EINVAL)
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
        // Global data mapped into user space where the kernel can (as libbpf): Collection.Globals reads it in place.
        Flags = (MapFlags)spec.Flags | (spec.IsGlobalData && type == BpfMapType.Array && GlobalDataMap.KernelCanMapArrays ? MapFlags.Mmapable : 0),
        Name = spec.Name,
        MapExtra = spec.MapExtra,
        Btf = btf,
        BtfKeyTypeId = btf is null ? 0 : (uint)spec.BtfKeyTypeId,
        BtfValueTypeId = btf is null ? 0 : (uint)spec.BtfValueTypeId,
    };

    private static BpfProgram LoadProgram(ProgramSpec spec, LinkedProgram linked, uint attachBtfId, BtfHandle? btf, uint logLevel)
    {
        try
        {
            return LoadLinked(spec, linked, attachBtfId, btf, logLevel);
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

    private static BpfProgram LoadLinked(ProgramSpec spec, LinkedProgram linked, uint attachBtfId, BtfHandle? btf, uint logLevel)
    {
        bool withBtf = btf is not null;
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
            AttachBtfId = attachBtfId,
            LogLevel = logLevel,
        });
    }

    /// <summary>
    /// tp_btf attaches to the typedef btf_trace_NAME; fentry/fexit to the kernel function itself; lsm to
    /// the function bpf_lsm_HOOK; an iterator to the function bpf_iter_TARGET.
    /// </summary>
    private static uint AttachBtfId(ProgramSpec spec, BtfSpec? kernelBtf)
    {
        if (spec.Type is not (BpfProgramType.Tracing or BpfProgramType.Lsm)) return 0;
        if (kernelBtf is null || spec.AttachTo is null)
            throw new BpfException($"program '{spec.Name}' ({spec.SectionName}) needs the kernel's BTF to attach");
        bool tracepoint = spec.AttachType == BpfAttachType.TraceRawTp;
        string name = spec.AttachType switch
        {
            BpfAttachType.TraceRawTp => "btf_trace_" + spec.AttachTo,
            BpfAttachType.TraceIter => "bpf_iter_" + spec.AttachTo,
            BpfAttachType.LsmMac or BpfAttachType.LsmCgroup => "bpf_lsm_" + spec.AttachTo,
            _ => spec.AttachTo,
        };
        if (!kernelBtf.TryFindTypeId(name, tracepoint ? BtfKind.Typedef : BtfKind.Func, out int id))
            throw new BpfException($"the kernel has no {(tracepoint ? "tracepoint" : "function")} '{spec.AttachTo}' in its BTF ({name})");
        return (uint)id;
    }
}
