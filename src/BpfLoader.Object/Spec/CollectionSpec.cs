using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Elf;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Object.Spec;

/// <summary>
/// Everything a clang-built BPF object describes, parsed without touching the kernel: programs
/// (linked, by name), maps (by name; global data as one-entry arrays), license, BTF. Mutable until
/// loaded: set constants in .rodata/.data, change map sizes and types.
/// </summary>
public sealed class CollectionSpec
{
    private readonly Dictionary<string, GlobalVariable> _variables;

    /// <summary>The programs by function name.</summary>
    public IReadOnlyDictionary<string, ProgramSpec> Programs { get; }
    /// <summary>The maps by name: .maps definitions, then the global data sections (.rodata, .data, .bss).</summary>
    public IReadOnlyDictionary<string, MapSpec> Maps { get; }
    /// <summary>The object's license section ("GPL", "Dual BSD/GPL"); GPL-only helpers need a GPL-compatible one.</summary>
    public string License { get; }
    /// <summary>The object's version section, or 0.</summary>
    public uint KernelVersion { get; }
    /// <summary>The object's BTF with DATASEC sizes and VAR offsets fixed; null if it has none.</summary>
    public BtfSpec? Btf { get; }
    /// <summary>The object's func_info, line_info and CO-RE records (.BTF.ext).</summary>
    public BtfExt BtfExt { get; }
    /// <summary>The object's <c>__kconfig</c> and <c>__ksym</c> externs, by name; resolved against the running kernel at load.</summary>
    public IReadOnlyDictionary<string, ExternSpec> Externs { get; private init; } = new Dictionary<string, ExternSpec>();

    /// <summary>Global variables of the data sections, by name.</summary>
    public IReadOnlyDictionary<string, GlobalVariable> Variables => _variables;

    private CollectionSpec(Dictionary<string, ProgramSpec> programs, Dictionary<string, MapSpec> maps, string license,
        uint kernelVersion, BtfSpec? btf, BtfExt ext, Dictionary<string, GlobalVariable> variables)
    {
        Programs = programs;
        Maps = maps;
        License = license;
        KernelVersion = kernelVersion;
        Btf = btf;
        BtfExt = ext;
        _variables = variables;
    }

    /// <summary>Parses a BPF ELF object: programs, maps, BTF and relocations; no kernel needed.</summary>
    public static CollectionSpec Parse(ReadOnlySpan<byte> elf) => Parse(elf.ToArray());

    /// <summary>Parses an object; every failure is a <see cref="BpfObjectException"/>.</summary>
    public static CollectionSpec Parse(byte[] elf)
    {
        ArgumentNullException.ThrowIfNull(elf);
        try
        {
            return Read(ElfObject.Parse(elf));
        }
        catch (BpfException) { throw; }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException
            or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new BpfObjectException("malformed BPF object: " + e.Message, e);
        }
    }

    /// <summary>A BPF object embedded as a manifest resource of <paramref name="assembly"/>.</summary>
    public static CollectionSpec FromResource(System.Reflection.Assembly assembly, string name)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        using Stream s = assembly.GetManifestResourceStream(name) ?? throw new BpfObjectException($"no embedded resource '{name}'");
        var bytes = new byte[s.Length];
        s.ReadExactly(bytes);
        return Parse(bytes);
    }

    private static CollectionSpec Read(ElfObject elf)
    {
        BtfSpec? btf = null;
        if (elf.Section(".BTF") is { } btfSection)
        {
            btf = BtfSpec.Parse(btfSection.Data.ToArray());
            btf.FixDataSections(
                name => elf.Section(name)?.Size,
                (section, variable) => elf.Section(section) is { } s
                    ? elf.Symbols.FirstOrDefault(y => y.SectionIndex == s.Index && y.Name == variable && y.Type != ElfSymbolType.Section)?.Value
                    : null);
        }
        BtfExt ext = elf.Section(".BTF.ext") is { } extSection && btf is not null
            ? BtfExt.Parse(extSection.Data.Span, btf)
            : BtfExt.Empty;

        string license = elf.Section("license") is { } lic ? CString(lic.Data.Span) : "";
        uint version = elf.Section("version") is { Data.Length: >= 4 } ver ? BinaryPrimitives.ReadUInt32LittleEndian(ver.Data.Span) : 0;

        var maps = new Dictionary<string, MapSpec>(StringComparer.Ordinal);
        foreach (MapSpec m in MapDefinitions.FromBtf(elf, btf))
            if (!maps.TryAdd(m.Name, m)) throw new BpfObjectException($"map {m.Name} is defined twice");
        var variables = new Dictionary<string, GlobalVariable>(StringComparer.Ordinal);
        foreach (ElfSection s in elf.Sections.Where(MapDefinitions.IsGlobalDataSection))
        {
            if (s.Size == 0) continue;
            if (!maps.TryAdd(s.Name, MapDefinitions.FromDataSection(s, btf)))
                throw new BpfObjectException($"section {s.Name} clashes with a map of the same name");
            foreach (ElfSymbol y in elf.Symbols)
            {
                if (y.SectionIndex != s.Index || y.Type != ElfSymbolType.Object || y.Name.Length == 0) continue;
                if (y.Value > s.Size || y.Size > s.Size - y.Value)
                    throw new BpfObjectException($"variable {y.Name} (offset {y.Value}, size {y.Size}) does not fit {s.Name}");
                variables[y.Name] = new GlobalVariable(y.Name, s.Name, (int)y.Value, (int)y.Size);
            }
        }

        (Dictionary<string, ExternSpec> externs, int kconfigSize) = ExternDefinitions.Collect(elf, btf);
        if (externs.Count > 0)
        {
            btf!.FixExterns(ExternSpec.KconfigMapName, ExternDefinitions.KsymsSection,
                name => externs.TryGetValue(name, out ExternSpec? e) && e.Kind == ExternKind.Kconfig ? e.Offset : null, kconfigSize);
        }
        if (kconfigSize > 0)
        {
            // As libbpf: one read-only array whose value the loader fills from the running kernel's config.
            if (!maps.TryAdd(ExternSpec.KconfigMapName, new MapSpec(ExternSpec.KconfigMapName, BpfMapType.Array, 4, (uint)kconfigSize, 1)
                {
                    SectionName = ExternSpec.KconfigMapName,
                    Contents = new byte[kconfigSize],
                    Freeze = true,
                    Flags = MapSpec.FlagReadOnlyProgram,
                    BtfValueTypeId = btf!.TryFindTypeId(ExternSpec.KconfigMapName, BtfKind.DataSec, out int kid) ? kid : 0,
                }))
                throw new BpfObjectException($"the object defines a map named {ExternSpec.KconfigMapName}");
        }

        var linker = new ProgramLinker(elf, ext, maps, externs);
        var programs = new Dictionary<string, ProgramSpec>(StringComparer.Ordinal);
        foreach (CodeFunction entry in linker.Entries)
        {
            ProgramSpec p = linker.Link(entry, license, version, btf);
            if (!programs.TryAdd(p.Name, p)) throw new BpfObjectException($"program {p.Name} is defined twice");
        }
        return new CollectionSpec(programs, maps, license, version, btf, ext, variables) { Externs = externs };
    }

    private static string CString(ReadOnlySpan<byte> bytes)
    {
        int nul = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? bytes : bytes[..nul]);
    }

    /// <summary>Writes <paramref name="value"/> over the initial value of the global <paramref name="name"/> (in .rodata or .data).</summary>
    public void SetConstant(string name, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_variables.TryGetValue(name, out GlobalVariable v))
            throw new BpfException($"no global variable '{name}' in the object's data sections (known: {string.Join(", ", _variables.Keys.Order(StringComparer.Ordinal))})");
        MapSpec map = Maps[v.MapName];
        if (map.Contents is null || map.SectionName.StartsWith(".bss", StringComparison.Ordinal))
            throw new BpfException($"'{name}' is in {v.MapName}, which has no initial contents to set");
        if (value.Length != v.Size)
            throw new BpfException($"'{name}' is {v.Size} bytes, the value given is {value.Length}");
        value.CopyTo(map.Contents.AsSpan(v.Offset, v.Size));
    }

    /// <summary>Typed <see cref="SetConstant(string, ReadOnlySpan{byte})"/>: the value's size must be the variable's.</summary>
    public void SetConstant<T>(string name, T value) where T : unmanaged =>
        SetConstant(name, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));

    /// <summary>One relocator (with its candidate cache) for all programs of this collection.</summary>
    public CoreRelocator? CreateCoreRelocator(BtfSpec kernelBtf) => CreateCoreRelocator(kernelBtf, strict: false);

    /// <summary>As <see cref="CreateCoreRelocator(BtfSpec)"/>; <paramref name="strict"/> fails a relocation whose target the kernel lacks instead of poisoning it.</summary>
    public CoreRelocator? CreateCoreRelocator(BtfSpec kernelBtf, bool strict) =>
        Btf is null ? null : new CoreRelocator(Btf, kernelBtf) { PoisonMissingTypes = !strict };
}
