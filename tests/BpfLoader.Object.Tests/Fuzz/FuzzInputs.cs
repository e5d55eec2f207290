using System.Buffers.Binary;
using System.Reflection;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Tests.Btf;
using BpfLoader.Object.Tests.Spec;

namespace BpfLoader.Object.Tests.Fuzz;

/// <summary>One undamaged input and the positions of its size, offset and count fields.</summary>
internal sealed record FuzzInput(string Name, byte[] Bytes, Mutator Mutator);

/// <summary>The real inputs the fuzz tests damage: the test objects clang built, and BTF blobs.</summary>
internal static class FuzzInputs
{
    /// <summary>Every BPF object embedded in the test assembly (tests/BpfLoader.Tests/bpf/*.o).</summary>
    public static IReadOnlyList<FuzzInput> Objects { get; } = LoadObjects();

    /// <summary>A small hand-built BTF of every common kind, each test object's .BTF, and a slice of the kernel's if readable.</summary>
    public static IReadOnlyList<FuzzInput> Btfs { get; } = LoadBtfs();

    private static List<FuzzInput> LoadObjects()
    {
        Assembly assembly = typeof(FuzzInputs).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.EndsWith(".bpf.o", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => TestObjects.Bytes(n))
            .Zip(assembly.GetManifestResourceNames().Where(n => n.EndsWith(".bpf.o", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            .Select(p => new FuzzInput(p.Second, p.First, new Mutator(ElfFields(p.First))))
            .ToList();
    }

    private static List<FuzzInput> LoadBtfs()
    {
        var inputs = new List<FuzzInput>();
        void Add(string name, byte[] blob) => inputs.Add(new FuzzInput(name, blob, new Mutator(BtfLayout.Fields(blob))));

        Add("built", SmallBtf());
        foreach (FuzzInput o in Objects)
        {
            if (ElfImage.SectionHeaders(o.Bytes).TryGetValue(".BTF", out int header))
            {
                int offset = (int)ElfImage.ReadU64(o.Bytes, header + ElfImage.ShOffset);
                int size = (int)ElfImage.ReadU64(o.Bytes, header + ElfImage.ShSize);
                Add($"{o.Name} .BTF", o.Bytes[offset..(offset + size)]);
            }
        }
        if (File.Exists(Vmlinux.Path))
        {
            try
            {
                Add("vmlinux slice", BtfLayout.Slice(File.ReadAllBytes(Vmlinux.Path), 400));
            }
            catch (UnauthorizedAccessException)
            {
                // Not readable here: the other inputs still run.
            }
        }
        return inputs;
    }

    /// <summary>
    /// Every kind the loader decodes, linked to each other, shaped like the kernel types core_relocs.bpf.c
    /// relocates against (sock, sock_common with an anonymous union, bpf_map_type), so that damage reaches CO-RE too.
    /// </summary>
    private static byte[] SmallBtf()
    {
        var b = new BtfBuilder();
        int u32 = b.Int("unsigned int", 4);
        int u16 = b.Int("unsigned short", 2);
        int s64 = b.Int("long long", 8, signed: true);
        int be32 = b.Typedef("__be32", u32);
        int addrs = b.Composite(BtfKind.Struct, "", 8, ("skc_daddr", be32, 0), ("skc_rcv_saddr", be32, 32));
        int addrPair = b.Composite(BtfKind.Union, "", 8, ("skc_addrpair", s64, 0), ("", addrs, 0));
        int common = b.Composite(BtfKind.Struct, "sock_common", 12, ("", addrPair, 0), ("skc_family", u16, 64));
        int array = b.Array(u32, u32, 16);
        int sock = b.Composite(BtfKind.Struct, "sock", 96, ("__sk_common", common, 0), ("sk_protocol", u16, 96), ("data", array, 128));
        int ptr = b.Pointer(sock);
        b.Typedef("sock_t", sock);
        int mapType = b.Enum("bpf_map_type", ("BPF_MAP_TYPE_HASH", 1), ("BPF_MAP_TYPE_RINGBUF", 27));
        b.Qualifier(BtfKind.Const, mapType);
        b.Qualifier(BtfKind.Volatile, sock);
        int proto = b.FuncProto(u32, ("ctx", b.Pointer(0)), ("sk", ptr));
        b.Func("handle", proto);
        int countArray = b.Array(u32, u32, 1024);
        int def = b.Composite(BtfKind.Struct, "", 16, ("type", b.Pointer(b.Array(u32, u32, 2)), 0), ("max_entries", b.Pointer(countArray), 64));
        int var = b.Var("events", def);
        b.DataSec(".maps", 16, (var, 0, 16));
        return b.Blob();
    }

    /// <summary>The ELF header's table fields, every section header's, every symbol's, every relocation's, and the BTF/BTF.ext headers.</summary>
    private static List<(int, int)> ElfFields(byte[] image)
    {
        var fields = new List<(int, int)> { (40, 8), (58, 2), (60, 2), (62, 2) };
        Dictionary<string, int> headers = ElfImage.SectionHeaders(image);
        foreach ((string name, int header) in headers)
        {
            fields.AddRange([(header + ElfImage.ShName, 4), (header + ElfImage.ShType, 4), (header + ElfImage.ShOffset, 8),
                (header + ElfImage.ShSize, 8), (header + ElfImage.ShLink, 4), (header + ElfImage.ShInfo, 4), (header + ElfImage.ShEntSize, 8)]);
            int offset = (int)ElfImage.ReadU64(image, header + ElfImage.ShOffset);
            int size = (int)ElfImage.ReadU64(image, header + ElfImage.ShSize);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(header + ElfImage.ShType));
            if (type == 8) continue;   // NOBITS: no bytes in the file
            if (name == ".symtab")
                for (int at = offset; at + 24 <= offset + size; at += 24) fields.AddRange([(at, 4), (at + 6, 2), (at + 8, 8), (at + 16, 8)]);
            else if (type == 9)
                for (int at = offset; at + 16 <= offset + size; at += 16) fields.AddRange([(at, 8), (at + 8, 4), (at + 12, 4)]);
            else if (name == ".BTF")
                fields.AddRange(BtfLayout.Fields(image.AsSpan(offset, size), offset));
            else if (name == ".BTF.ext" && size >= 32)
            {
                for (int f = 4; f < 32; f += 4) fields.Add((offset + f, 4));
                int body = offset + (int)BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(offset + 4));
                for (int f = 8; f < 32; f += 8)
                    fields.Add((body + (int)BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(offset + f)), 4));   // record size
            }
        }
        return fields;
    }
}
