namespace BpfLoader.Object.Btf;

/// <summary>A struct/union member. <see cref="BitfieldSize"/> is 0 unless the member is a bitfield.</summary>
public readonly record struct BtfMember(string Name, int TypeId, uint BitOffset, uint BitfieldSize);

/// <summary>An enumerator of an ENUM or ENUM64 (signedness by the type's kind flag).</summary>
public readonly record struct BtfEnumValue(string Name, long Value);

/// <summary>A FUNC_PROTO parameter.</summary>
public readonly record struct BtfParam(string Name, int TypeId);

/// <summary>A DATASEC entry: the VAR (or FUNC) it places, at which offset, how large.</summary>
public readonly record struct BtfDataSecVar(int TypeId, uint Offset, uint Size);

/// <summary>An ARRAY's element type, index type and element count.</summary>
public readonly record struct BtfArrayInfo(int ElementType, int IndexType, uint Count);
