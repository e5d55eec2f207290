using System.Buffers.Binary;
using System.Text;

namespace BpfLoader.Tests.Kernel;

/// <summary>
/// A minimal scan of /sys/kernel/btf/vmlinux for one type id by kind and name, so the kernel tests can
/// load tp_btf programs without the spec layer (which has the real BTF reader).
/// </summary>
internal static class VmlinuxBtf
{
    public const int KindTypedef = 8, KindFunc = 12;

    private static readonly Lazy<byte[]> s_btf = new(() => File.ReadAllBytes("/sys/kernel/btf/vmlinux"));

    public static uint FindTypeId(int kind, string name)
    {
        ReadOnlySpan<byte> btf = s_btf.Value;
        Assert.Equal(0xeB9F, BinaryPrimitives.ReadUInt16LittleEndian(btf));
        int headerLength = BinaryPrimitives.ReadInt32LittleEndian(btf[4..]);
        int typeOff = BinaryPrimitives.ReadInt32LittleEndian(btf[8..]);
        int typeLen = BinaryPrimitives.ReadInt32LittleEndian(btf[12..]);
        int strOff = BinaryPrimitives.ReadInt32LittleEndian(btf[16..]);
        ReadOnlySpan<byte> types = btf.Slice(headerLength + typeOff, typeLen);
        ReadOnlySpan<byte> strings = btf[(headerLength + strOff)..];
        byte[] wanted = Encoding.ASCII.GetBytes(name);

        uint id = 1;
        for (int pos = 0; pos < types.Length; id++)
        {
            int nameOff = BinaryPrimitives.ReadInt32LittleEndian(types[pos..]);
            uint info = BinaryPrimitives.ReadUInt32LittleEndian(types[(pos + 4)..]);
            int typeKind = (int)((info >> 24) & 0x1f);
            int vlen = (int)(info & 0xffff);
            if (typeKind == kind)
            {
                ReadOnlySpan<byte> s = strings[nameOff..];
                if (s.IndexOf((byte)0) == wanted.Length && s.StartsWith(wanted))
                    return id;
            }
            pos += 12 + typeKind switch
            {
                1 or 14 or 17 => 4,          // INT, VAR, DECL_TAG
                3 => 12,                     // ARRAY
                4 or 5 or 15 or 19 => vlen * 12, // STRUCT, UNION, DATASEC, ENUM64
                6 or 13 => vlen * 8,         // ENUM, FUNC_PROTO
                _ => 0,
            };
        }
        throw new InvalidOperationException($"no BTF kind {kind} named '{name}' in vmlinux");
    }
}
