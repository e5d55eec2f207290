using System.Buffers.Binary;
using BpfLoader.Object.Btf;

namespace BpfLoader.Object.Tests.Fuzz;

/// <summary>
/// Where the types of an undamaged BTF blob start, and a copy of its first types with only the strings
/// they use: a slice of the kernel's BTF small enough to mutate thousands of times.
/// </summary>
internal static class BtfLayout
{
    public const int HeaderSize = 24;

    public readonly record struct TypeAt(int Offset, BtfKind Kind, int VLen);

    /// <summary>The types of <paramref name="blob"/> in order, with their absolute offsets; stops at the first it cannot size.</summary>
    public static List<TypeAt> Types(ReadOnlySpan<byte> blob, int limit = int.MaxValue)
    {
        int hdrLen = (int)BinaryPrimitives.ReadUInt32LittleEndian(blob[4..]);
        int start = hdrLen + (int)BinaryPrimitives.ReadUInt32LittleEndian(blob[8..]);
        int end = start + (int)BinaryPrimitives.ReadUInt32LittleEndian(blob[12..]);
        var types = new List<TypeAt>();
        for (int at = start; at + 12 <= end && types.Count < limit;)
        {
            uint info = BinaryPrimitives.ReadUInt32LittleEndian(blob[(at + 4)..]);
            var kind = (BtfKind)((info >> 24) & 0x1f);
            int vlen = (int)(info & 0xffff);
            int extra = Extra(kind, vlen);
            if (extra < 0 || at + 12 + extra > end) break;
            types.Add(new TypeAt(at, kind, vlen));
            at += 12 + extra;
        }
        return types;
    }

    private static int Extra(BtfKind kind, int vlen) => kind switch
    {
        BtfKind.Int or BtfKind.Var or BtfKind.DeclTag => 4,
        BtfKind.Array => 12,
        BtfKind.Struct or BtfKind.Union or BtfKind.DataSec or BtfKind.Enum64 => 12 * vlen,
        BtfKind.Enum or BtfKind.FuncProto => 8 * vlen,
        BtfKind.Pointer or BtfKind.Forward or BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict
            or BtfKind.Func or BtfKind.Float or BtfKind.TypeTag => 0,
        _ => -1,
    };

    /// <summary>Positions (offset, width) of the size, count and offset fields a mutation should aim at.</summary>
    public static List<(int Offset, int Width)> Fields(ReadOnlySpan<byte> blob, int baseOffset = 0)
    {
        var fields = new List<(int, int)>();
        for (int f = 4; f < HeaderSize; f += 4) fields.Add((baseOffset + f, 4));
        foreach (TypeAt t in Types(blob))
        {
            fields.Add((baseOffset + t.Offset, 4));       // name_off
            fields.Add((baseOffset + t.Offset + 4, 2));   // vlen
            fields.Add((baseOffset + t.Offset + 8, 4));   // size or type
            if (t.Kind == BtfKind.Array) fields.Add((baseOffset + t.Offset + 20, 4));   // nelems
        }
        return fields;
    }

    /// <summary>
    /// The first <paramref name="count"/> types of <paramref name="blob"/> as a blob of their own, names
    /// copied into a new string section (type ids still point where they did: some past the end, as damage would).
    /// </summary>
    public static byte[] Slice(byte[] blob, int count)
    {
        int hdrLen = (int)BinaryPrimitives.ReadUInt32LittleEndian(blob[4..]);
        int strings = hdrLen + (int)BinaryPrimitives.ReadUInt32LittleEndian(blob[16..]);
        int stringsLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(blob[20..]);
        List<TypeAt> types = Types(blob, count);
        int typesEnd = types.Count == 0 ? 0 : types[^1].Offset + 12 + Extra(types[^1].Kind, types[^1].VLen);
        int typesStart = types.Count == 0 ? 0 : types[0].Offset;
        byte[] typeBytes = blob[typesStart..typesEnd];
        var newStrings = new List<byte> { 0 };
        var moved = new Dictionary<uint, uint> { [0] = 0 };

        void Rename(int at)
        {
            uint old = BinaryPrimitives.ReadUInt32LittleEndian(typeBytes.AsSpan(at));
            if (!moved.TryGetValue(old, out uint now))
            {
                ReadOnlySpan<byte> rest = old < (uint)stringsLength ? blob.AsSpan(strings + (int)old, stringsLength - (int)old) : [];
                int nul = rest.IndexOf((byte)0);
                now = (uint)newStrings.Count;
                newStrings.AddRange(rest[..Math.Max(0, nul)].ToArray());
                newStrings.Add(0);
                moved[old] = now;
            }
            BinaryPrimitives.WriteUInt32LittleEndian(typeBytes.AsSpan(at), now);
        }

        foreach (TypeAt t in types)
        {
            int at = t.Offset - typesStart;
            Rename(at);
            int stride = t.Kind switch
            {
                BtfKind.Struct or BtfKind.Union or BtfKind.Enum64 => 12,
                BtfKind.Enum or BtfKind.FuncProto => 8,
                _ => 0,
            };
            for (int i = 0; stride > 0 && i < t.VLen; i++) Rename(at + 12 + i * stride);
        }

        var result = new byte[HeaderSize + typeBytes.Length + newStrings.Count];
        Span<byte> s = result;
        BinaryPrimitives.WriteUInt16LittleEndian(s, 0xeB9F);
        s[2] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], (uint)typeBytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], (uint)typeBytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], (uint)newStrings.Count);
        typeBytes.CopyTo(s[HeaderSize..]);
        newStrings.ToArray().CopyTo(s[(HeaderSize + typeBytes.Length)..]);
        return result;
    }
}
