using System.Runtime.InteropServices;

namespace BpfLoader.Maps;

/// <summary>
/// A global variable of a loaded collection (<c>.data</c>, <c>.bss</c>, <c>.rodata</c>), read and written
/// while its programs run. Where the kernel maps global data into user space (BPF_F_MMAPABLE, Linux 5.5)
/// a read or write is a copy to or from shared memory, no syscall; else element 0 of the section's map is
/// looked up (and written back whole, for a write). Neither is atomic with respect to the programs: a
/// value wider than 8 bytes may be read half-written. <c>.rodata</c> is frozen at load: read-only here too.
/// Valid until the collection is disposed.
/// </summary>
public sealed unsafe class Variable
{
    private readonly GlobalDataMap _data;

    internal Variable(string name, GlobalDataMap data, int offset, int size)
    {
        Name = name;
        _data = data;
        Offset = offset;
        Size = size;
    }

    /// <summary>The variable's name (its symbol, as in the object's BTF).</summary>
    public string Name { get; }

    /// <summary>The map (the section: <c>.data</c>, <c>.bss</c>, <c>.rodata</c>, ...) that holds it.</summary>
    public BpfMap Map => _data.Map;

    /// <summary>Its byte offset in the section.</summary>
    public int Offset { get; }

    /// <summary>Its size in bytes: what a read or write must exchange.</summary>
    public int Size { get; }

    /// <summary>True for a variable of a frozen section (<c>.rodata</c>): <see cref="Write(ReadOnlySpan{byte})"/> throws.</summary>
    public bool IsReadOnly => _data.ReadOnly;

    /// <summary>True when it is reached through shared memory rather than by map syscalls.</summary>
    public bool IsMemoryMapped => _data.IsMapped;

    /// <summary>Copies the variable into <paramref name="destination"/>, which must be <see cref="Size"/> bytes.</summary>
    public void Read(Span<byte> destination)
    {
        CheckSize(destination.Length, nameof(destination));
        _data.Read(Offset, destination);
    }

    /// <summary>The variable as a <typeparamref name="T"/>, whose size must be <see cref="Size"/>.</summary>
    public T Read<T>() where T : unmanaged
    {
        T value = default;
        Read(MemoryMarshal.AsBytes(new Span<T>(ref value)));
        return value;
    }

    /// <summary>Overwrites the variable with <paramref name="value"/>, which must be <see cref="Size"/> bytes.</summary>
    public void Write(ReadOnlySpan<byte> value)
    {
        CheckSize(value.Length, nameof(value));
        if (IsReadOnly)
            throw new InvalidOperationException($"'{Name}' is in {Map.Name}, frozen at load: set it before loading (CollectionSpec.SetConstant)");
        _data.Write(Offset, value);
    }

    /// <summary>Overwrites the variable with <paramref name="value"/>, whose size must be <see cref="Size"/>.</summary>
    public void Write<T>(in T value) where T : unmanaged => Write(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));

    /// <summary>Name, section and size.</summary>
    public override string ToString() => $"variable '{Name}' ({Map.Name}+{Offset}, {Size} bytes)";

    private void CheckSize(int length, string parameter)
    {
        if (length != Size)
            throw new ArgumentException($"'{Name}' is {Size} bytes, the buffer or value given is {length}", parameter);
    }
}
