using System.Buffers.Binary;

namespace BpfLoader.Object.Tests.Fuzz;

/// <summary>
/// Deterministic damage: the same seed gives the same bytes on every machine and runtime (System.Random
/// with a seed is stable). Bit flips, byte sets, size/offset/count fields overwritten with the values
/// parsers trip on, truncations, splices of the input into itself.
/// </summary>
internal sealed class Mutator
{
    private static readonly ulong[] Interesting =
        [0, 1, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFF8, 0x4000_0000];

    private readonly IReadOnlyList<(int Offset, int Width)> _fields;

    /// <param name="fields">Positions of the input's size, offset and count fields, for the aimed mutations.</param>
    public Mutator(IReadOnlyList<(int Offset, int Width)> fields) => _fields = fields;

    public byte[] Mutate(byte[] input, int seed)
    {
        var random = new Random(seed);
        byte[] bytes = (byte[])input.Clone();
        int rounds = 1 + random.Next(4);
        for (int round = 0; round < rounds && bytes.Length > 0; round++)
        {
            switch (random.Next(10))
            {
                case 0 or 1:
                    int flip = random.Next(bytes.Length);
                    bytes[flip] ^= (byte)(1 << random.Next(8));
                    break;
                case 2:
                    bytes[random.Next(bytes.Length)] = random.Next(3) switch { 0 => 0, 1 => 0xff, _ => (byte)random.Next(256) };
                    break;
                case 3 or 4 or 5 when _fields.Count > 0:
                    (int offset, int width) = _fields[random.Next(_fields.Count)];
                    ulong value = random.Next(4) == 0 ? (ulong)random.NextInt64() : Interesting[random.Next(Interesting.Length)];
                    if (random.Next(4) == 0) value += (ulong)random.Next(-8, 9);
                    WriteField(bytes, offset, random.Next(3) == 0 && width == 4 ? 8 : width, value);
                    break;
                case 6:
                    Array.Resize(ref bytes, random.Next(bytes.Length));
                    break;
                case 7:
                    // A splice: a piece of the input copied over another place.
                    int length = 1 + random.Next(Math.Min(bytes.Length, 256));
                    int from = random.Next(bytes.Length - length + 1), to = random.Next(bytes.Length - length + 1);
                    Buffer.BlockCopy(bytes, from, bytes, to, length);
                    break;
                case 8:
                    // A run of bytes set alike (a zeroed or 0xff'd region).
                    int run = 1 + random.Next(Math.Min(bytes.Length, 64));
                    bytes.AsSpan(random.Next(bytes.Length - run + 1), run).Fill(random.Next(2) == 0 ? (byte)0 : (byte)0xff);
                    break;
                default:
                    // Bytes inserted or removed: everything after shifts.
                    int at = random.Next(bytes.Length);
                    int count = 1 + random.Next(16);
                    bytes = random.Next(2) == 0
                        ? [.. bytes.AsSpan(0, at), .. new byte[count], .. bytes.AsSpan(at)]
                        : [.. bytes.AsSpan(0, at), .. bytes.AsSpan(Math.Min(bytes.Length, at + count))];
                    break;
            }
        }
        return bytes;
    }

    private static void WriteField(byte[] bytes, int offset, int width, ulong value)
    {
        if (offset < 0 || offset + width > bytes.Length) return;
        Span<byte> at = bytes.AsSpan(offset, width);
        switch (width)
        {
            case 2: BinaryPrimitives.WriteUInt16LittleEndian(at, (ushort)value); break;
            case 4: BinaryPrimitives.WriteUInt32LittleEndian(at, (uint)value); break;
            default: BinaryPrimitives.WriteUInt64LittleEndian(at, value); break;
        }
    }
}
