using System.Buffers.Binary;
using System.Text;

namespace BpfLoader.Object.Elf;

/// <summary>
/// A relocatable little-endian 64-bit BPF ELF object: sections, symbols and relocation entries, read
/// straight from the bytes. Every offset, size and count in a header is checked against the file before
/// it is used, so what parsing allocates is bounded by the file's size and a damaged object is a
/// <see cref="BpfObjectException"/>. (A general ELF reader sized its buffers from sh_size before checking it.)
/// </summary>
public sealed class ElfObject
{
    private const ushort MachineBpf = 247;
    private const int RelEntrySize = 16, SectionHeaderSize = 64, SymbolSize = 24;

    /// <summary>Every section, by index.</summary>
    public IReadOnlyList<ElfSection> Sections { get; }
    /// <summary>Every symbol of .symtab, by index.</summary>
    public IReadOnlyList<ElfSymbol> Symbols { get; }

    private readonly Dictionary<int, ElfRelocation[]> _relocations;
    private readonly Dictionary<string, ElfSection> _byName = new(StringComparer.Ordinal);

    private ElfObject(List<ElfSection> sections, List<ElfSymbol> symbols, Dictionary<int, ElfRelocation[]> relocations)
    {
        Sections = sections;
        Symbols = symbols;
        _relocations = relocations;
        foreach (ElfSection s in sections) _byName.TryAdd(s.Name, s);
    }

    /// <summary>The section with this name, or null.</summary>
    public ElfSection? Section(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The relocation entries that apply to section <paramref name="sectionIndex"/> (empty if none).</summary>
    public IReadOnlyList<ElfRelocation> RelocationsFor(int sectionIndex) =>
        _relocations.TryGetValue(sectionIndex, out ElfRelocation[]? r) ? r : [];

    /// <summary>The symbol at this index of the symbol table.</summary>
    public ElfSymbol Symbol(int index) =>
        (uint)index < (uint)Symbols.Count ? Symbols[index] : throw new BpfObjectException($"relocation names symbol {index}, the table has {Symbols.Count}");

    /// <summary>Parses a 64-bit little- or big-endian relocatable ELF object; every offset and size is checked against the image.</summary>
    public static ElfObject Parse(byte[] image)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckIdentity(image);
        return Read(image);
    }

    private static void CheckIdentity(ReadOnlySpan<byte> image)
    {
        if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
            throw new BpfObjectException("not an ELF file");
        if (image[4] != 2) throw new BpfObjectException("not a 64-bit ELF object");
        if (image[5] != 1) throw new BpfObjectException("not a little-endian ELF object");
        if (BinaryPrimitives.ReadUInt16LittleEndian(image[16..]) != 1) throw new BpfObjectException("not a relocatable ELF object (ET_REL)");
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(image[18..]);
        if (machine != MachineBpf) throw new BpfObjectException($"ELF machine is {machine}, not EM_BPF ({MachineBpf})");
    }

    private static ElfObject Read(byte[] image)
    {
        ReadOnlySpan<byte> span = image;
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(span[40..]);
        ushort shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[58..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[60..]);
        int shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(span[62..]);
        if (shentsize < SectionHeaderSize) throw new BpfObjectException($"section header size {shentsize} is too small");
        // 0 would mean "the count is in section 0" (more than 65279 sections): no BPF object has that many.
        if (shnum == 0) throw new BpfObjectException("the object declares no section headers");
        ReadOnlySpan<byte> table = Slice(image, shoff, (ulong)shnum * shentsize, "section header table").Span;
        if (shstrndx >= shnum) throw new BpfObjectException($"section name table index {shstrndx} is not below the {shnum} sections");

        var raw = new SectionHeader[shnum];
        for (int i = 0; i < shnum; i++)
        {
            ReadOnlySpan<byte> h = table.Slice(i * shentsize, SectionHeaderSize);
            raw[i] = new SectionHeader(
                BinaryPrimitives.ReadUInt32LittleEndian(h), BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[8..]), BinaryPrimitives.ReadUInt64LittleEndian(h[24..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[32..]), BinaryPrimitives.ReadUInt32LittleEndian(h[40..]),
                BinaryPrimitives.ReadUInt32LittleEndian(h[44..]));
        }
        var sectionNames = new StringTable(Slice(image, raw[shstrndx].Offset, raw[shstrndx].Size, "section name table"), "the section name table");
        var sections = new List<ElfSection>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            SectionHeader h = raw[i];
            string name = i == 0 ? "" : sectionNames.Get(h.Name, $"section {i}");
            ReadOnlyMemory<byte> data = h.Type is ElfSection.TypeNoBits or 0
                ? ReadOnlyMemory<byte>.Empty
                : Slice(image, h.Offset, h.Size, name.Length > 0 ? name : $"section {i}");
            sections.Add(new ElfSection(i, name, h.Type, h.Flags, h.Size, h.Link, h.Info, data));
        }

        List<ElfSymbol> symbols = ReadSymbols(sections);

        var relocations = new Dictionary<int, ElfRelocation[]>();
        foreach (ElfSection rel in sections)
        {
            if (rel.Type != ElfSection.TypeRel) continue;
            if (rel.Data.Length % RelEntrySize != 0)
                throw new BpfObjectException($"relocation section {rel.Name} size {rel.Data.Length} is not a multiple of {RelEntrySize}");
            if (rel.Info >= (uint)sections.Count)
                throw new BpfObjectException($"relocation section {rel.Name} applies to section {rel.Info}, which does not exist");
            var entries = new ElfRelocation[rel.Data.Length / RelEntrySize];
            ReadOnlySpan<byte> bytes = rel.Data.Span;
            for (int i = 0; i < entries.Length; i++)
            {
                ReadOnlySpan<byte> e = bytes.Slice(i * RelEntrySize, RelEntrySize);
                ulong rInfo = BinaryPrimitives.ReadUInt64LittleEndian(e[8..]);
                ulong symbol = rInfo >> 32;
                if (symbol >= (ulong)symbols.Count)
                    throw new BpfObjectException($"relocation in {rel.Name} names symbol {symbol}, the table has {symbols.Count}");
                entries[i] = new ElfRelocation(BinaryPrimitives.ReadUInt64LittleEndian(e), (int)symbol, (uint)rInfo);
            }
            relocations[(int)rel.Info] = entries;
        }
        return new ElfObject(sections, symbols, relocations);
    }

    /// <summary>The first SHT_SYMTAB, all of it (entry 0, the null symbol, included: relocations count from it).</summary>
    private static List<ElfSymbol> ReadSymbols(List<ElfSection> sections)
    {
        ElfSection? symtab = sections.Find(s => s.Type == ElfSection.TypeSymTab);
        if (symtab is null) return [];
        if (symtab.Data.Length % SymbolSize != 0)
            throw new BpfObjectException($"symbol table {symtab.Name} size {symtab.Data.Length} is not a multiple of {SymbolSize}");
        if (symtab.Link >= (uint)sections.Count || sections[(int)symtab.Link].Type != ElfSection.TypeStrTab)
            throw new BpfObjectException($"symbol table {symtab.Name} names section {symtab.Link} as its strings, which is no string table");
        ElfSection strtab = sections[(int)symtab.Link];
        var names = new StringTable(strtab.Data, strtab.Name);
        int count = symtab.Data.Length / SymbolSize;
        var symbols = new List<ElfSymbol>(count);
        ReadOnlySpan<byte> bytes = symtab.Data.Span;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> e = bytes.Slice(i * SymbolSize, SymbolSize);
            byte info = e[4];
            symbols.Add(new ElfSymbol(i, names.Get(BinaryPrimitives.ReadUInt32LittleEndian(e), $"symbol {i}"),
                BinaryPrimitives.ReadUInt64LittleEndian(e[8..]), BinaryPrimitives.ReadUInt64LittleEndian(e[16..]),
                (ElfSymbolType)(info & 0xf), (ElfSymbolBinding)(info >> 4), BinaryPrimitives.ReadUInt16LittleEndian(e[6..])));
        }
        return symbols;
    }

    private readonly record struct SectionHeader(uint Name, uint Type, ulong Flags, ulong Offset, ulong Size, uint Link, uint Info);

    /// <summary>
    /// NUL-terminated names in a string section. Each offset is decoded once: many entries naming the same
    /// long string (a damaged table has no NUL for kilobytes) must not each cost a copy of it.
    /// </summary>
    private sealed class StringTable
    {
        private readonly ReadOnlyMemory<byte> _bytes;
        private readonly string _what;
        private readonly Dictionary<uint, string> _decoded = [];

        public StringTable(ReadOnlyMemory<byte> bytes, string what)
        {
            _bytes = bytes;
            _what = what;
        }

        public string Get(uint offset, string owner)
        {
            if (offset == 0 && _bytes.IsEmpty) return "";
            if (_decoded.TryGetValue(offset, out string? known)) return known;
            if (offset >= (uint)_bytes.Length)
                throw new BpfObjectException($"{owner}: name offset {offset} lies outside {_what} ({_bytes.Length} bytes)");
            ReadOnlySpan<byte> rest = _bytes.Span[(int)offset..];
            int nul = rest.IndexOf((byte)0);
            if (nul < 0) throw new BpfObjectException($"{owner}: name at offset {offset} of {_what} has no terminating NUL");
            string name = Encoding.UTF8.GetString(rest[..nul]);
            _decoded[offset] = name;
            return name;
        }
    }

    private static ReadOnlyMemory<byte> Slice(byte[] image, ulong offset, ulong size, string what)
    {
        if (offset > (ulong)image.Length || size > (ulong)image.Length - offset)
            throw new BpfObjectException($"{what} (offset {offset}, size {size}) lies outside the {image.Length}-byte file");
        return new ReadOnlyMemory<byte>(image, (int)offset, (int)size);
    }
}
