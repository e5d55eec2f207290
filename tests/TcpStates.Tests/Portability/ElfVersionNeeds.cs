using System.Buffers.Binary;
using System.Text;

namespace TcpStates.Tests.Portability;

/// <summary>
/// What a dynamically linked ELF64 executable asks of the loader: its machine, its DT_NEEDED libraries and
/// the symbol versions in .gnu.version_r (per library), read straight from the file.
/// </summary>
internal sealed class ElfVersionNeeds
{
    public const ushort MachineX8664 = 62, MachineAArch64 = 183;
    private const uint ShtDynamic = 6, ShtGnuVerneed = 0x6ffffffe;
    private const long DtNull = 0, DtNeeded = 1;

    public ushort Machine { get; }
    public IReadOnlyList<string> Needed { get; }

    /// <summary>(library, version name) for every entry of .gnu.version_r.</summary>
    public IReadOnlyList<(string File, string Version)> Versions { get; }

    private ElfVersionNeeds(ushort machine, List<string> needed, List<(string, string)> versions)
    {
        Machine = machine;
        Needed = needed;
        Versions = versions;
    }

    public static ElfVersionNeeds Read(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F' || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException($"{path}: not a little-endian ELF64 file");
        ReadOnlySpan<byte> f = elf;
        ushort machine = U16(f, 0x12);
        long shoff = (long)U64(f, 0x28);
        int shentsize = U16(f, 0x3A), shnum = U16(f, 0x3C);

        var needed = new List<string>();
        var versions = new List<(string, string)>();
        for (int i = 0; i < shnum; i++)
        {
            int h = checked((int)(shoff + (long)i * shentsize));
            uint type = U32(f, h + 4);
            if (type != ShtDynamic && type != ShtGnuVerneed)
                continue;
            int offset = checked((int)U64(f, h + 0x18));
            int size = checked((int)U64(f, h + 0x20));
            uint link = U32(f, h + 0x28);
            uint info = U32(f, h + 0x2C);
            int strtabHeader = checked((int)(shoff + link * shentsize));
            int strtab = checked((int)U64(f, strtabHeader + 0x18));

            if (type == ShtDynamic)
            {
                for (int d = offset; d + 16 <= offset + size; d += 16)
                {
                    long tag = (long)U64(f, d);
                    if (tag == DtNull) break;
                    if (tag == DtNeeded) needed.Add(Str(f, strtab + (int)U64(f, d + 8)));
                }
                continue;
            }

            // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
            // Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
            int vn = offset;
            for (uint n = 0; n < info; n++)
            {
                ushort count = U16(f, vn + 2);
                string file = Str(f, strtab + (int)U32(f, vn + 4));
                int aux = vn + (int)U32(f, vn + 8);
                for (int a = 0; a < count; a++)
                {
                    versions.Add((file, Str(f, strtab + (int)U32(f, aux + 8))));
                    aux += (int)U32(f, aux + 12);
                }
                uint next = U32(f, vn + 12);
                if (next == 0) break;
                vn += (int)next;
            }
        }
        return new ElfVersionNeeds(machine, needed, versions);
    }

    /// <summary>GLIBC_2.17 -> 2.17, GLIBC_2.3.4 -> 2.3.4; null for versions of anything else.</summary>
    public static Version? GlibcVersion(string name) =>
        name.StartsWith("GLIBC_", StringComparison.Ordinal) && Version.TryParse(name["GLIBC_".Length..], out Version? v) ? v : null;

    private static ushort U16(ReadOnlySpan<byte> f, int at) => BinaryPrimitives.ReadUInt16LittleEndian(f[at..]);
    private static uint U32(ReadOnlySpan<byte> f, int at) => BinaryPrimitives.ReadUInt32LittleEndian(f[at..]);
    private static ulong U64(ReadOnlySpan<byte> f, int at) => BinaryPrimitives.ReadUInt64LittleEndian(f[at..]);

    private static string Str(ReadOnlySpan<byte> f, int at)
    {
        int end = f[at..].IndexOf((byte)0);
        return Encoding.ASCII.GetString(f.Slice(at, end));
    }
}
