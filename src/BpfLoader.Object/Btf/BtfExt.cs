using System.Buffers.Binary;

namespace BpfLoader.Object.Btf;

/// <summary>
/// The .BTF.ext section: per code section, func_info, line_info and CO-RE relocation records,
/// with the record sizes from its header. Instruction offsets are converted from bytes to indexes.
/// </summary>
public sealed class BtfExt
{
    private const ushort Magic = 0xeB9F;
    private const int FuncInfoMinSize = 8, LineInfoMinSize = 16, CoreReloMinSize = 16;

    /// <summary>Bytes per bpf_func_info record as the object wrote them.</summary>
    public int FuncInfoRecordSize { get; }
    /// <summary>Bytes per bpf_line_info record as the object wrote them.</summary>
    public int LineInfoRecordSize { get; }
    /// <summary>Bytes per bpf_core_relo record as the object wrote them.</summary>
    public int CoreRelocationRecordSize { get; }

    private readonly Dictionary<string, FuncInfo[]> _funcInfos;
    private readonly Dictionary<string, LineInfo[]> _lineInfos;
    private readonly Dictionary<string, CoreRelocation[]> _coreRelocations;

    /// <summary>The records of an object without a .BTF.ext section: none.</summary>
    public static BtfExt Empty { get; } = new(FuncInfoMinSize, LineInfoMinSize, CoreReloMinSize, [], [], []);

    private BtfExt(int funcSize, int lineSize, int coreSize, Dictionary<string, FuncInfo[]> funcs,
        Dictionary<string, LineInfo[]> lines, Dictionary<string, CoreRelocation[]> core)
    {
        FuncInfoRecordSize = funcSize;
        LineInfoRecordSize = lineSize;
        CoreRelocationRecordSize = coreSize;
        _funcInfos = funcs;
        _lineInfos = lines;
        _coreRelocations = core;
    }

    /// <summary>The func_info records of one code section (empty when it has none).</summary>
    public IReadOnlyList<FuncInfo> FuncInfos(string section) => _funcInfos.GetValueOrDefault(section) ?? [];
    /// <summary>The line_info records of one code section (empty when it has none).</summary>
    public IReadOnlyList<LineInfo> LineInfos(string section) => _lineInfos.GetValueOrDefault(section) ?? [];
    /// <summary>The CO-RE relocations of one code section (empty when it has none).</summary>
    public IReadOnlyList<CoreRelocation> CoreRelocations(string section) => _coreRelocations.GetValueOrDefault(section) ?? [];
    /// <summary>The code sections that have CO-RE relocations.</summary>
    public IEnumerable<string> SectionsWithCoreRelocations => _coreRelocations.Keys;

    /// <summary>Parses a .BTF.ext section; section names and types are looked up in <paramref name="btf"/>.</summary>
    public static BtfExt Parse(ReadOnlySpan<byte> ext, BtfSpec btf)
    {
        ArgumentNullException.ThrowIfNull(btf);
        if (ext.Length < 24) throw new BpfObjectException($".BTF.ext is {ext.Length} bytes, shorter than its header");
        if (BinaryPrimitives.ReadUInt16LittleEndian(ext) != Magic) throw new BpfObjectException(".BTF.ext magic is wrong");
        if (ext[2] != 1) throw new BpfObjectException($".BTF.ext version {ext[2]} is not supported");
        uint hdrLen = BinaryPrimitives.ReadUInt32LittleEndian(ext[4..]);
        if (hdrLen < 24 || hdrLen > (uint)ext.Length) throw new BpfObjectException($".BTF.ext header length {hdrLen} is invalid");
        ReadOnlySpan<byte> body = ext[(int)hdrLen..];
        ReadOnlySpan<byte> Part(ReadOnlySpan<byte> e, int at, ReadOnlySpan<byte> b)
        {
            uint off = BinaryPrimitives.ReadUInt32LittleEndian(e[at..]);
            uint len = BinaryPrimitives.ReadUInt32LittleEndian(e[(at + 4)..]);
            if ((ulong)off + len > (ulong)b.Length) throw new BpfObjectException(".BTF.ext info lies outside the section");
            return b.Slice((int)off, (int)len);
        }

        var funcs = new Dictionary<string, List<FuncInfo>>(StringComparer.Ordinal);
        int funcSize = ReadInfo(Part(ext, 8, body), FuncInfoMinSize, btf, "func_info", funcs,
            r => new FuncInfo(InstructionIndex(r), (int)BinaryPrimitives.ReadUInt32LittleEndian(r[4..])));
        var lines = new Dictionary<string, List<LineInfo>>(StringComparer.Ordinal);
        int lineSize = ReadInfo(Part(ext, 16, body), LineInfoMinSize, btf, "line_info", lines,
            r => new LineInfo(InstructionIndex(r), BinaryPrimitives.ReadUInt32LittleEndian(r[4..]),
                BinaryPrimitives.ReadUInt32LittleEndian(r[8..]), BinaryPrimitives.ReadUInt32LittleEndian(r[12..])));
        var core = new Dictionary<string, List<CoreRelocation>>(StringComparer.Ordinal);
        int coreSize = CoreReloMinSize;
        if (hdrLen >= 32)
        {
            coreSize = ReadInfo(Part(ext, 24, body), CoreReloMinSize, btf, "core_relo", core,
                r =>
                {
                    uint kind = BinaryPrimitives.ReadUInt32LittleEndian(r[12..]);
                    if (kind > (uint)CoreRelocationKind.TypeMatches) throw new BpfObjectException($"CO-RE relocation kind {kind} is unknown");
                    return new CoreRelocation(InstructionIndex(r), (int)BinaryPrimitives.ReadUInt32LittleEndian(r[4..]),
                        btf.String(BinaryPrimitives.ReadUInt32LittleEndian(r[8..])), (CoreRelocationKind)kind);
                });
        }
        return new BtfExt(funcSize, lineSize, coreSize, ToArrays(funcs), ToArrays(lines), ToArrays(core));
    }

    private static Dictionary<string, T[]> ToArrays<T>(Dictionary<string, List<T>> lists) =>
        lists.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);

    private static int InstructionIndex(ReadOnlySpan<byte> record)
    {
        uint bytes = BinaryPrimitives.ReadUInt32LittleEndian(record);
        if (bytes % 8 != 0) throw new BpfObjectException($".BTF.ext record names byte offset {bytes}, not an instruction boundary");
        return (int)(bytes / 8);
    }

    private delegate T RecordReader<T>(ReadOnlySpan<byte> record);

    /// <summary>Reads one info block: u32 record size, then per section {sec_name_off, num_info, records}.</summary>
    private static int ReadInfo<T>(ReadOnlySpan<byte> info, int minSize, BtfSpec btf, string what,
        Dictionary<string, List<T>> into, RecordReader<T> read)
    {
        if (info.IsEmpty) return minSize;
        if (info.Length < 4) throw new BpfObjectException($".BTF.ext {what} is truncated");
        uint recordSize = BinaryPrimitives.ReadUInt32LittleEndian(info);
        if (recordSize < minSize || recordSize > 1024 || recordSize % 4 != 0)
            throw new BpfObjectException($".BTF.ext {what} record size {recordSize} is invalid");
        int at = 4;
        while (at < info.Length)
        {
            if (info.Length - at < 8) throw new BpfObjectException($".BTF.ext {what} section header is truncated");
            string section = btf.String(BinaryPrimitives.ReadUInt32LittleEndian(info[at..]));
            uint count = BinaryPrimitives.ReadUInt32LittleEndian(info[(at + 4)..]);
            at += 8;
            if ((ulong)count * recordSize > (ulong)(info.Length - at))
                throw new BpfObjectException($".BTF.ext {what} for {section} runs past its block");
            // Blocks for the same section add to one list: joining arrays block by block costs the square.
            if (!into.TryGetValue(section, out List<T>? records))
                into[section] = records = new List<T>((int)count);
            for (int i = 0; i < count; i++, at += (int)recordSize)
                records.Add(read(info.Slice(at, (int)recordSize)));
        }
        return (int)recordSize;
    }
}
