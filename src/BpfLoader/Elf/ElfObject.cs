using System.Buffers.Binary;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;

namespace BpfLoader.Elf;

/// <summary>
/// A relocatable little-endian 64-bit BPF ELF object: sections, symbols and relocation entries.
/// ELFSharp reads the headers, names and symbols; the relocation entries and sh_link/sh_info
/// (which ELFSharp does not expose) are decoded here from the raw bytes.
/// </summary>
public sealed class ElfObject
{
    private const ushort MachineBpf = 247;
    private const int RelEntrySize = 16;

    public IReadOnlyList<ElfSection> Sections { get; }
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

    public ElfSection? Section(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The relocation entries that apply to section <paramref name="sectionIndex"/> (empty if none).</summary>
    public IReadOnlyList<ElfRelocation> RelocationsFor(int sectionIndex) =>
        _relocations.TryGetValue(sectionIndex, out ElfRelocation[]? r) ? r : [];

    public ElfSymbol Symbol(int index) =>
        (uint)index < (uint)Symbols.Count ? Symbols[index] : throw new BpfObjectException($"relocation names symbol {index}, the table has {Symbols.Count}");

    public static ElfObject Parse(byte[] image)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckIdentity(image);
        ELF<ulong> elf;
        try
        {
            if (!ELFReader.TryLoad(new MemoryStream(image, writable: false), shouldOwnStream: true, out elf))
                throw new BpfObjectException("not an ELF object ELFSharp can read");
        }
        catch (BpfException) { throw; }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new BpfObjectException("malformed ELF object: " + e.Message, e);
        }
        using (elf)
        {
            try
            {
                return Read(image, elf);
            }
            catch (BpfException) { throw; }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new BpfObjectException("malformed ELF object: " + e.Message, e);
            }
        }
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

    private static ElfObject Read(byte[] image, ELF<ulong> elf)
    {
        ReadOnlySpan<byte> span = image;
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(span[40..]);
        ushort shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[58..]);
        if (shentsize < 64) throw new BpfObjectException($"section header size {shentsize} is too small");

        var sections = new List<ElfSection>(elf.Sections.Count);
        for (int i = 0; i < elf.Sections.Count; i++)
        {
            Section<ulong> s = elf.Sections[i];
            ReadOnlySpan<byte> header = Slice(image, shoff + (ulong)i * shentsize, 64, "section header").Span;
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            uint link = BinaryPrimitives.ReadUInt32LittleEndian(header[40..]);
            uint info = BinaryPrimitives.ReadUInt32LittleEndian(header[44..]);
            ReadOnlyMemory<byte> data = type is ElfSection.TypeNoBits or 0 ? ReadOnlyMemory<byte>.Empty : Slice(image, s.Offset, s.Size, s.Name);
            sections.Add(new ElfSection(i, s.Name ?? "", type, s.RawFlags, s.Size, link, info, data));
        }

        var symbols = new List<ElfSymbol>();
        SymbolTable<ulong>? table = elf.GetSections<SymbolTable<ulong>>().FirstOrDefault();
        if (table is not null)
        {
            int index = 0;
            foreach (SymbolEntry<ulong> e in table.Entries)
            {
                symbols.Add(new ElfSymbol(index++, e.Name ?? "", e.Value, e.Size, (ElfSymbolType)(int)e.Type,
                    (ElfSymbolBinding)(int)e.Binding, e.PointedSectionIndex));
            }
        }

        var relocations = new Dictionary<int, ElfRelocation[]>();
        foreach (ElfSection rel in sections)
        {
            if (rel.Type != ElfSection.TypeRel) continue;
            if (rel.Data.Length % RelEntrySize != 0)
                throw new BpfObjectException($"relocation section {rel.Name} size {rel.Data.Length} is not a multiple of {RelEntrySize}");
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
            if (rel.Info >= (uint)sections.Count)
                throw new BpfObjectException($"relocation section {rel.Name} applies to section {rel.Info}, which does not exist");
            relocations[(int)rel.Info] = entries;
        }
        return new ElfObject(sections, symbols, relocations);
    }

    private static ReadOnlyMemory<byte> Slice(byte[] image, ulong offset, ulong size, string what)
    {
        if (offset > (ulong)image.Length || size > (ulong)image.Length - offset)
            throw new BpfObjectException($"{what} (offset {offset}, size {size}) lies outside the {image.Length}-byte file");
        return new ReadOnlyMemory<byte>(image, (int)offset, (int)size);
    }
}
