using System.Buffers.Binary;
using System.Text;

namespace BpfLoader.Object.Tests.Spec;

/// <summary>Finds and rewrites fields of an ELF64 object's section headers, to damage a real object precisely.</summary>
internal static class ElfImage
{
    public const int ShName = 0, ShType = 4, ShOffset = 24, ShSize = 32, ShLink = 40, ShInfo = 44, ShEntSize = 56;

    /// <summary>Where each section header starts, by section name.</summary>
    public static Dictionary<string, int> SectionHeaders(byte[] image)
    {
        ReadOnlySpan<byte> span = image;
        int shoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(span[40..]);
        int entsize = BinaryPrimitives.ReadUInt16LittleEndian(span[58..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(span[60..]);
        int strndx = BinaryPrimitives.ReadUInt16LittleEndian(span[62..]);
        int names = (int)BinaryPrimitives.ReadUInt64LittleEndian(span[(shoff + strndx * entsize + ShOffset)..]);
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            int header = shoff + i * entsize;
            int name = names + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(header + ShName)..]);
            int length = span[name..].IndexOf((byte)0);
            result.TryAdd(Encoding.UTF8.GetString(span.Slice(name, length)), header);
        }
        return result;
    }

    public static int Header(byte[] image, string section) =>
        SectionHeaders(image).TryGetValue(section, out int at) ? at : throw new InvalidOperationException($"no section {section}");

    public static ulong ReadU64(byte[] image, int at) => BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(at));

    public static void WriteU64(byte[] image, int at, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(at), value);
}
