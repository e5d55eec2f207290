using System.Buffers.Binary;
using System.Text;

namespace BpfLoader.Tests.Kernel;

/// <summary>
/// A hand-built BTF blob for one program function — [1] int, [2] void *, [3] int (void *ctx), [4] the
/// FUNC — the least the kernel accepts with func_info and line_info, so a verifier log can show a source line.
/// </summary>
internal sealed class MinimalBtf
{
    private const int KindInt = 1, KindPtr = 2, KindFunc = 12, KindFuncProto = 13;
    private const uint LinkageGlobal = 1;

    private readonly List<byte> _types = [];
    private readonly List<byte> _strings = [0];

    public uint FuncId { get; }
    public uint FileNameOffset { get; }
    private readonly List<(uint InsnOffset, uint LineOffset, uint Line)> _lines = [];

    public MinimalBtf(string functionName, string fileName)
    {
        uint intName = AddString("int");
        Type(intName, KindInt, 0, 4);
        _types.AddRange(U32((1u << 24) | 32));       // BTF_INT_SIGNED, offset 0, 32 bits
        Type(0, KindPtr, 0, 0);                        // [2] void *
        Type(0, KindFuncProto, 1, 1);                  // [3] int (void *ctx)
        _types.AddRange(U32(AddString("ctx")));
        _types.AddRange(U32(2));
        Type(AddString(functionName), KindFunc, LinkageGlobal, 3);   // [4]
        FuncId = 4;
        FileNameOffset = AddString(fileName);
    }

    /// <summary>Says instruction <paramref name="insn"/> comes from <paramref name="text"/> at line <paramref name="line"/>.</summary>
    public void AddLine(uint insn, string text, uint line) => _lines.Add((insn, AddString(text), line));

    public byte[] Blob()
    {
        var blob = new List<byte>();
        blob.AddRange(U16(0xeB9F));
        blob.Add(1);                                   // version
        blob.Add(0);                                   // flags
        blob.AddRange(U32(24));                        // hdr_len
        blob.AddRange(U32(0));                         // type_off
        blob.AddRange(U32((uint)_types.Count));
        blob.AddRange(U32((uint)_types.Count));        // str_off
        blob.AddRange(U32((uint)_strings.Count));
        blob.AddRange(_types);
        blob.AddRange(_strings);
        return [.. blob];
    }

    /// <summary>struct bpf_func_info records (insn_off, type_id): one, for the program at instruction 0.</summary>
    public byte[] FuncInfo() => [.. U32(0), .. U32(FuncId)];

    public const uint FuncInfoRecordSize = 8;

    /// <summary>struct bpf_line_info records (insn_off, file_name_off, line_off, line_col).</summary>
    public byte[] LineInfo()
    {
        var bytes = new List<byte>();
        foreach (var (insn, text, line) in _lines)
        {
            bytes.AddRange(U32(insn));
            bytes.AddRange(U32(FileNameOffset));
            bytes.AddRange(U32(text));
            bytes.AddRange(U32(line << 10));
        }
        return [.. bytes];
    }

    public uint LineCount => (uint)_lines.Count;

    public const uint LineInfoRecordSize = 16;

    private void Type(uint nameOff, int kind, uint vlen, uint sizeOrType)
    {
        _types.AddRange(U32(nameOff));
        _types.AddRange(U32(((uint)kind << 24) | vlen));
        _types.AddRange(U32(sizeOrType));
    }

    private uint AddString(string s)
    {
        uint offset = (uint)_strings.Count;
        _strings.AddRange(Encoding.ASCII.GetBytes(s));
        _strings.Add(0);
        return offset;
    }

    private static byte[] U32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    private static byte[] U16(ushort v)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        return b;
    }
}
