using System.Buffers.Binary;
using System.Text;
using BpfLoader.Object.Spec;

namespace BpfLoader.Tests.Compat;

/// <summary>The global variables of a loaded collection, read through their data-section maps.</summary>
internal sealed class GlobalsReader(CollectionSpec spec, Collection objects)
{
    public byte[] Bytes(string name)
    {
        GlobalVariable v = spec.Variables[name];
        global::BpfLoader.Maps.BpfMap map = objects.Maps[v.MapName];
        var value = new byte[map.ValueSize];
        Assert.True(map.TryLookup(new byte[4], value));
        return value.AsSpan(v.Offset, v.Size).ToArray();
    }

    public ulong U64(string name) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(name));

    public string CString(string name)
    {
        byte[] b = Bytes(name);
        int nul = Array.IndexOf(b, (byte)0);
        return Encoding.UTF8.GetString(b, 0, nul < 0 ? b.Length : nul);
    }
}
