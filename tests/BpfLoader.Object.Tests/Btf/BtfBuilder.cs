using System.Buffers.Binary;
using System.Text;
using BpfLoader.Object.Btf;

namespace BpfLoader.Object.Tests.Btf;

/// <summary>
/// Writes a BTF blob type by type, for tests that need a shape no compiler emits (deep anonymous
/// nesting) or a small valid blob to damage. Ids are handed out in order, from 1.
/// </summary>
internal sealed class BtfBuilder
{
    private readonly List<byte> _types = [];
    private readonly List<byte> _strings = [0];
    private int _nextId = 1;

    /// <summary>[id] a signed or unsigned integer of <paramref name="bytes"/> bytes.</summary>
    public int Int(string name, int bytes, bool signed = false)
    {
        Header(Name(name), BtfKind.Int, 0, (uint)bytes);
        U32((signed ? 1u << 24 : 0) | (uint)(bytes * 8));
        return _nextId++;
    }

    public int Pointer(int target)
    {
        Header(0, BtfKind.Pointer, 0, (uint)target);
        return _nextId++;
    }

    public int Array(int element, int index, uint count)
    {
        Header(0, BtfKind.Array, 0, 0);
        U32((uint)element);
        U32((uint)index);
        U32(count);
        return _nextId++;
    }

    /// <summary>A struct (or union) of <paramref name="size"/> bytes; members are (name, type, bit offset), "" for anonymous.</summary>
    public int Composite(BtfKind kind, string name, uint size, params (string Name, int Type, uint BitOffset)[] members)
    {
        Header(Name(name), kind, (uint)members.Length, size);
        foreach (var (memberName, type, bitOffset) in members)
        {
            U32(Name(memberName));
            U32((uint)type);
            U32(bitOffset);
        }
        return _nextId++;
    }

    public int Typedef(string name, int target)
    {
        Header(Name(name), BtfKind.Typedef, 0, (uint)target);
        return _nextId++;
    }

    public int Enum(string name, params (string Name, int Value)[] values)
    {
        Header(Name(name), BtfKind.Enum, (uint)values.Length, 4);
        foreach (var (valueName, value) in values)
        {
            U32(Name(valueName));
            U32((uint)value);
        }
        return _nextId++;
    }

    public int FuncProto(int returnType, params (string Name, int Type)[] parameters)
    {
        Header(0, BtfKind.FuncProto, (uint)parameters.Length, (uint)returnType);
        foreach (var (paramName, type) in parameters)
        {
            U32(Name(paramName));
            U32((uint)type);
        }
        return _nextId++;
    }

    public int Func(string name, int proto)
    {
        Header(Name(name), BtfKind.Func, 1, (uint)proto);   // vlen: linkage global
        return _nextId++;
    }

    public int Var(string name, int type)
    {
        Header(Name(name), BtfKind.Var, 0, (uint)type);
        U32(1);   // global
        return _nextId++;
    }

    public int DataSec(string name, uint size, params (int Var, uint Offset, uint Size)[] entries)
    {
        Header(Name(name), BtfKind.DataSec, (uint)entries.Length, size);
        foreach (var (var, offset, entrySize) in entries)
        {
            U32((uint)var);
            U32(offset);
            U32(entrySize);
        }
        return _nextId++;
    }

    public int Qualifier(BtfKind kind, int target)
    {
        Header(0, kind, 0, (uint)target);
        return _nextId++;
    }

    public byte[] Blob()
    {
        var blob = new byte[24 + _types.Count + _strings.Count];
        Span<byte> span = blob;
        BinaryPrimitives.WriteUInt16LittleEndian(span, 0xeB9F);
        span[2] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], 24);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], (uint)_types.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], (uint)_types.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], (uint)_strings.Count);
        _types.CopyTo(blob, 24);
        _strings.CopyTo(blob, 24 + _types.Count);
        return blob;
    }

    public BtfSpec Build() => BtfSpec.Parse(Blob());

    private uint Name(string name)
    {
        if (name.Length == 0) return 0;
        uint offset = (uint)_strings.Count;
        _strings.AddRange(Encoding.UTF8.GetBytes(name));
        _strings.Add(0);
        return offset;
    }

    private void Header(uint nameOff, BtfKind kind, uint vlen, uint sizeOrType)
    {
        U32(nameOff);
        U32(((uint)kind << 24) | vlen);
        U32(sizeOrType);
    }

    private void U32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _types.AddRange(b.ToArray());
    }
}
