using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace BpfLoader.Object.Btf;

/// <summary>
/// A BTF blob (an object's .BTF or the kernel's vmlinux): type by id, ids by name. One pass indexes
/// where each type starts and groups ids by name; a type is decoded only when asked for, so the
/// kernel's 100k+ types cost one scan. Fix-ups (DATASEC sizes, VAR offsets) patch the raw bytes,
/// which <see cref="Marshal"/> writes back for BPF_BTF_LOAD. Reads bytes only: the kernel assembly's
/// <c>KernelBtf</c> maps the running kernel's vmlinux and hands it to <see cref="Parse(Memory{byte}, IDisposable?)"/>;
/// dispose such a spec once relocation is done to give its pages back.
/// </summary>
public sealed class BtfSpec : IDisposable
{
    private const ushort Magic = 0xeB9F;
    private const int HeaderSize = 24;

    private readonly Memory<byte> _memory;
    private readonly IDisposable? _mapping;     // owns _memory when the BTF is a mapped file (read-only)
    private readonly int _headerLength;
    private readonly int _typesStart, _typesLength, _stringsStart, _stringsLength;
    // The kernel's BTF has 100k+ types and a program needs a few hundred of them: per type, only where it starts
    // and its name chain are kept (arrays longer than the count, not trimmed copies), and decoded types on demand.
    private readonly int _count;              // type ids run from 0 to _count - 1
    private readonly int[] _offsets;          // id -> absolute offset of its btf_type; [0] unused (void)
    private readonly Dictionary<int, BtfType> _decoded = new();
    private readonly int[] _buckets;           // name hash & mask -> highest id in that bucket, functions aside
    private readonly int[] _nextSameName;      // id -> next lower id in the same bucket, 0 at the end
    // Functions are most of the kernel's named types, and only attach targets and kfuncs look them up by name
    // (CO-RE never): their chains are built on the first such lookup, in the same _nextSameName.
    private int[]? _functionBuckets;

    /// <summary>Type ids run from 0 (void) to TypeCount - 1.</summary>
    public int TypeCount => _count;

    private Span<byte> Data => _memory.Span;

    private BtfSpec(Memory<byte> memory, IDisposable? mapping, int headerLength, int typesStart, int typesLength, int stringsStart, int stringsLength)
    {
        _memory = memory;
        _mapping = mapping;
        ReadOnlySpan<byte> data = memory.Span;
        _headerLength = headerLength;
        _typesStart = typesStart;
        _typesLength = typesLength;
        _stringsStart = stringsStart;
        _stringsLength = stringsLength;
        if (stringsLength == 0 || data[stringsStart] != 0 || data[stringsStart + stringsLength - 1] != 0)
            throw new BpfObjectException("BTF string section must start and end with a NUL");

        // One pass: where each type starts, and a chain of ids per hash of the name's first bytes (functions' names
        // later, see _functionBuckets). Names are neither decoded nor measured: for the kernel's 100k+ types that would
        // cost more than the scan, which is the first touch of its several MB. The arrays are sized from the section's
        // length at the kernel's average type size and grown if that was short; not cleared: every offset is written,
        // and a chain reads only the next of ids linked into it.
        ReadOnlySpan<byte> span = data;
        int end = typesStart + typesLength;
        int capacity = Math.Max(64, typesLength / AverageTypeBytes);
        int[] offsets = GC.AllocateUninitializedArray<int>(capacity);
        int[] next = GC.AllocateUninitializedArray<int>(capacity);
        offsets[0] = next[0] = 0;
        // Buckets of a power-of-two table, a quarter as many as types: about two names a bucket were every type named,
        // fewer with functions aside (they get a table of this size of their own). Ids are prepended, so a chain runs
        // from the highest id down.
        var buckets = new int[Math.Max(1024, (int)BitOperations.RoundUpToPowerOf2((uint)capacity) / 4)];
        ReadOnlySpan<byte> strings = span.Slice(stringsStart, stringsLength);
        int count = 1;
        for (int at = typesStart; at < end;)
        {
            if (end - at < 12) throw new BpfObjectException($"BTF type at {at - typesStart} is truncated");
            uint nameOff = BinaryPrimitives.ReadUInt32LittleEndian(span[at..]);
            uint info = BinaryPrimitives.ReadUInt32LittleEndian(span[(at + 4)..]);
            int id = count++;
            if (id == offsets.Length)
            {
                offsets = Grown(offsets);
                next = Grown(next);
            }
            offsets[id] = at;
            at += 12 + ExtraSize(info, id);
            if (at > end) throw new BpfObjectException($"BTF type {id} runs past the type section");
            if (nameOff == 0) continue;
            if (nameOff >= (uint)stringsLength) throw new BpfObjectException($"BTF type {id} name offset {nameOff} is outside the string section");
            if ((info & KindMask) != FunctionKind)
                Chain(buckets, next, id, strings[(int)nameOff..]);
        }
        _count = count;
        _offsets = offsets;
        _nextSameName = next;
        _buckets = buckets;
    }

    /// <summary>Parses a raw BTF blob (header, types, strings), as in an object's .BTF section or /sys/kernel/btf/vmlinux.</summary>
    public static BtfSpec Parse(ReadOnlySpan<byte> btf) => Parse(btf.ToArray());

    /// <summary>Parses <paramref name="btf"/> in place: the array becomes this spec's storage.</summary>
    public static BtfSpec Parse(byte[] btf)
    {
        ArgumentNullException.ThrowIfNull(btf);
        return Parse(btf, owner: null);
    }

    /// <summary>
    /// Parses <paramref name="btf"/> in place, without a copy (the kernel's several MB, mapped, say);
    /// <paramref name="owner"/>, if any, owns that memory and is disposed with this spec.
    /// </summary>
    public static BtfSpec Parse(Memory<byte> btf, IDisposable? owner)
    {
        IDisposable? mapping = owner;
        ReadOnlySpan<byte> span = btf.Span;
        if (span.Length < HeaderSize) throw new BpfObjectException($"BTF is {span.Length} bytes, shorter than its header");
        if (BinaryPrimitives.ReadUInt16LittleEndian(span) != Magic)
            throw new BpfObjectException("BTF magic is wrong (not BTF, or not little-endian)");
        if (span[2] != 1) throw new BpfObjectException($"BTF version {span[2]} is not supported");
        uint hdrLen = BinaryPrimitives.ReadUInt32LittleEndian(span[4..]);
        uint typeOff = BinaryPrimitives.ReadUInt32LittleEndian(span[8..]);
        uint typeLen = BinaryPrimitives.ReadUInt32LittleEndian(span[12..]);
        uint strOff = BinaryPrimitives.ReadUInt32LittleEndian(span[16..]);
        uint strLen = BinaryPrimitives.ReadUInt32LittleEndian(span[20..]);
        if (hdrLen < HeaderSize || hdrLen > (uint)span.Length) throw new BpfObjectException($"BTF header length {hdrLen} is invalid");
        ulong body = (ulong)span.Length - hdrLen;
        if ((ulong)typeOff + typeLen > body || (ulong)strOff + strLen > body)
            throw new BpfObjectException("BTF type or string section lies outside the blob");
        if (typeOff % 4 != 0) throw new BpfObjectException("BTF type section is not 4-byte aligned");
        return new BtfSpec(btf, mapping, (int)hdrLen, (int)(hdrLen + typeOff), (int)typeLen, (int)(hdrLen + strOff), (int)strLen);
    }

    /// <summary>Disposes the owner given to <see cref="Parse(Memory{byte}, IDisposable?)"/> (a mapping, say); nothing for one parsed from bytes.</summary>
    public void Dispose() => _mapping?.Dispose();

    /// <summary>Bytes per type a kernel's BTF has on average, rounded down: the index arrays' first size.</summary>
    private const int AverageTypeBytes = 24;

    private static int[] Grown(int[] array)
    {
        int[] grown = GC.AllocateUninitializedArray<int>(array.Length * 2);
        array.CopyTo(grown, 0);
        return grown;
    }

    private const uint KindMask = 0x1fu << 24;
    private const uint FunctionKind = (uint)BtfKind.Func << 24;

    /// <summary>
    /// Bytes that follow a type's 12-byte header, from its info word: per kind a fixed part (int, array, var,
    /// decl_tag) plus one per vlen item (struct, union, datasec, enum64: 12; enum, func_proto: 8), from two
    /// tables indexed by kind (this runs once per type of the kernel's 100k+).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ExtraSize(uint info, int id)
    {
        uint kind = (info >> 24) & 0x1f;
        ReadOnlySpan<byte> perItem = [0, 0, 0, 0, 12, 12, 8, 0, 0, 0, 0, 0, 0, 8, 0, 12, 0, 0, 0, 12];
        ReadOnlySpan<byte> fixedPart = [0, 4, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 4, 0, 0];
        if (kind == 0 || kind >= (uint)perItem.Length) ThrowUnknownKind(id, kind);
        return fixedPart[(int)kind] + perItem[(int)kind] * (int)(info & 0xffff);
    }

    [DoesNotReturn]
    private static void ThrowUnknownKind(int id, uint kind) => throw new BpfObjectException($"BTF type {id} has unknown kind {kind}");

    /// <summary>The NUL-terminated string at <paramref name="offset"/> in the string section.</summary>
    public string String(uint offset)
    {
        if (offset >= (uint)_stringsLength) throw new BpfObjectException($"BTF string offset {offset} is outside the string section");
        ReadOnlySpan<byte> rest = Data.Slice(_stringsStart + (int)offset, _stringsLength - (int)offset);
        int nul = rest.IndexOf((byte)0);
        return nul == 0 ? "" : Encoding.UTF8.GetString(rest[..nul]);
    }

    /// <summary>The type with this id; id 0 is void.</summary>
    public BtfType Type(int id)
    {
        if ((uint)id >= (uint)_count) throw new BpfObjectException($"BTF type id {id} does not exist (the spec has {_count})");
        lock (_decoded)   // one spec may serve loads on several threads
        {
            if (!_decoded.TryGetValue(id, out BtfType? type))
            {
                type = Decode(id);
                _decoded[id] = type;
            }
            return type;
        }
    }

    /// <summary>All ids of types named <paramref name="name"/>, in id order.</summary>
    public IReadOnlyList<int> TypeIdsByName(string name) => TypeIdsByName(name, static _ => true);

    /// <summary>
    /// The ids of types named <paramref name="name"/> whose kind <paramref name="kinds"/> accepts, in id order.
    /// Cheaper than filtering <see cref="TypeIdsByName(string)"/> when it rejects <see cref="BtfKind.Func"/>: a
    /// kernel's functions are indexed by name only once a lookup wants them.
    /// </summary>
    public IReadOnlyList<int> TypeIdsByName(string name, Func<BtfKind, bool> kinds)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(kinds);
        var ids = new List<int>(2);
        Span<byte> utf8 = Encoding.UTF8.GetByteCount(name) <= 256 ? stackalloc byte[256] : new byte[Encoding.UTF8.GetByteCount(name)];
        utf8 = utf8[..Encoding.UTF8.GetBytes(name, utf8)];
        if (utf8.IsEmpty) return ids;
        int hash = NameHash(utf8, terminated: false);
        AddMatches(ids, _buckets, hash, utf8, kinds);
        if (kinds(BtfKind.Func))
        {
            AddMatches(ids, FunctionBuckets(), hash, utf8, kinds);
            ids.Sort();
            return ids;
        }
        ids.Reverse();
        return ids;
    }

    /// <summary>Prepends <paramref name="id"/>, named <paramref name="name"/> (NUL-terminated), to its chain.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Chain(int[] buckets, int[] next, int id, ReadOnlySpan<byte> name)
    {
        int bucket = NameHash(name) & (buckets.Length - 1);
        next[id] = buckets[bucket];
        buckets[bucket] = id;
    }

    private void AddMatches(List<int> ids, int[] buckets, int hash, ReadOnlySpan<byte> utf8, Func<BtfKind, bool> kinds)
    {
        for (int id = buckets[hash & (buckets.Length - 1)]; id != 0; id = _nextSameName[id])
            if (NameEquals(id, utf8) && kinds(KindAt(id))) ids.Add(id);
    }

    /// <summary>The chains of the functions' names, built on first use (under a lock: one spec may serve several threads).</summary>
    private int[] FunctionBuckets()
    {
        if (Volatile.Read(ref _functionBuckets) is { } built) return built;
        lock (_buckets)
        {
            if (_functionBuckets is { } raced) return raced;
            ReadOnlySpan<byte> data = Data;
            ReadOnlySpan<byte> strings = data.Slice(_stringsStart, _stringsLength);
            var buckets = new int[_buckets.Length];
            for (int id = 1; id < _count; id++)
            {
                int at = _offsets[id];
                if ((BinaryPrimitives.ReadUInt32LittleEndian(data[(at + 4)..]) & KindMask) != FunctionKind) continue;
                uint nameOff = BinaryPrimitives.ReadUInt32LittleEndian(data[at..]);   // checked by the constructor
                if (nameOff != 0)
                    Chain(buckets, _nextSameName, id, strings[(int)nameOff..]);
            }
            Volatile.Write(ref _functionBuckets, buckets);
            return buckets;
        }
    }

    private bool NameEquals(int id, ReadOnlySpan<byte> utf8)
    {
        ReadOnlySpan<byte> data = Data;
        uint nameOff = BinaryPrimitives.ReadUInt32LittleEndian(data[_offsets[id]..]);
        ReadOnlySpan<byte> rest = data.Slice(_stringsStart + (int)nameOff, _stringsLength - (int)nameOff);
        return rest.StartsWith(utf8) && rest.Length > utf8.Length && rest[utf8.Length] == 0;
    }

    /// <summary>
    /// Hash of a name's first eight bytes (up to its NUL when <paramref name="terminated"/>). One load and a
    /// few operations per type, with no search for the NUL: names that share eight bytes share a chain,
    /// which <see cref="NameEquals"/> walks only on lookup.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NameHash(ReadOnlySpan<byte> bytes, bool terminated = true)
    {
        ulong v = bytes.Length >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : ShortName(bytes);
        if (terminated)
        {
            // The lowest byte flagged here is the first NUL (a false flag only ever sits above a true one).
            ulong zeros = (v - 0x0101010101010101UL) & ~v & 0x8080808080808080UL;
            if (zeros != 0) v &= (1UL << (BitOperations.TrailingZeroCount(zeros) - 7)) - 1;
        }
        else if (bytes.Length < 8)
        {
            v &= (1UL << (bytes.Length * 8)) - 1;
        }
        ulong h = v * 0x9E3779B97F4A7C15UL;
        return (int)(h >> 32) ^ (int)h;
    }

    /// <summary>The bytes of a name shorter than eight, as the low bytes of a little-endian u64 (no stackalloc: the
    /// hash is inlined into the index's loop).</summary>
    private static ulong ShortName(ReadOnlySpan<byte> bytes)
    {
        ulong v = 0;
        for (int i = bytes.Length - 1; i >= 0; i--)
            v = v << 8 | bytes[i];
        return v;
    }

    /// <summary>Every type with this name, of any kind.</summary>
    public IEnumerable<BtfType> TypesByName(string name) => TypeIdsByName(name).Select(Type);

    /// <summary>Finds the first type named <paramref name="name"/> of kind <paramref name="kind"/>; false when there is none.</summary>
    public bool TryFindTypeId(string name, BtfKind kind, out int id)
    {
        IReadOnlyList<int> ids = TypeIdsByName(name, k => k == kind);
        id = ids.Count > 0 ? ids[0] : 0;
        return ids.Count > 0;
    }

    /// <summary>The id of the type of this name and kind (e.g. <c>btf_trace_inet_sock_set_state</c>, Typedef).</summary>
    public int FindTypeId(string name, BtfKind kind) =>
        TryFindTypeId(name, kind, out int id) ? id : throw new BpfException($"BTF has no {kind} named '{name}'");

    private BtfKind KindAt(int id) => (BtfKind)((BinaryPrimitives.ReadUInt32LittleEndian(Data[(_offsets[id] + 4)..]) >> 24) & 0x1f);

    /// <summary>Follows typedefs and qualifiers to the type they name.</summary>
    public BtfType SkipModifiersAndTypedefs(int id) => SkipModifiersAndTypedefs(ref id);

    /// <summary>Follows typedefs and qualifiers; <paramref name="id"/> becomes the id of the type reached.</summary>
    public BtfType SkipModifiersAndTypedefs(ref int id)
    {
        BtfType t = Type(id);
        for (int depth = 0; t.IsModifierOrTypedef; depth++)
        {
            if (depth > 64) throw new BpfObjectException($"BTF type {id} has a modifier loop");
            id = t.TypeId;
            t = Type(id);
        }
        return t;
    }

    /// <summary>The byte size of a type, following typedefs, qualifiers, VARs and arrays.</summary>
    public ulong ResolveSize(int id)
    {
        ulong count = 1;
        for (int depth = 0; depth < 64; depth++)
        {
            BtfType t = Type(id);
            switch (t.Kind)
            {
                case BtfKind.Int or BtfKind.Struct or BtfKind.Union or BtfKind.Enum or BtfKind.Enum64 or BtfKind.DataSec or BtfKind.Float:
                    return count * t.Size;
                case BtfKind.Pointer:
                    return count * 8;
                case BtfKind.Array:
                    count *= t.Array.Count;
                    id = t.Array.ElementType;
                    break;
                case BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict or BtfKind.TypeTag or BtfKind.Var:
                    id = t.TypeId;
                    break;
                default:
                    throw new BpfObjectException($"BTF type {t} has no size");
            }
        }
        throw new BpfObjectException($"BTF type {id} nests too deeply to size");
    }

    private BtfType Decode(int id)
    {
        if (id == 0) return new BtfType(0, BtfKind.Void, "", false, 0, 0);
        ReadOnlySpan<byte> s = Data[_offsets[id]..];
        uint info = BinaryPrimitives.ReadUInt32LittleEndian(s[4..]);
        var kind = (BtfKind)((info >> 24) & 0x1f);
        int vlen = (int)(info & 0xffff);
        bool kflag = (info & 0x8000_0000) != 0;
        uint sizeOrType = BinaryPrimitives.ReadUInt32LittleEndian(s[8..]);
        string name = String(BinaryPrimitives.ReadUInt32LittleEndian(s));
        int extra = _offsets[id] + 12;
        ReadOnlyMemory<byte> memory = _memory;
        uint U32(int at) => BinaryPrimitives.ReadUInt32LittleEndian(memory.Span[(extra + at)..]);
        switch (kind)
        {
            case BtfKind.Int:
                uint enc = U32(0);
                return new BtfType(id, kind, name, kflag, vlen, sizeOrType)
                {
                    IntEncoding = (int)((enc >> 24) & 0xf), IntOffset = (int)((enc >> 16) & 0xff), IntBits = (int)(enc & 0xff),
                };
            case BtfKind.Array:
                return new BtfType(id, kind, name, kflag, vlen, sizeOrType) { Array = new BtfArrayInfo((int)U32(0), (int)U32(4), U32(8)) };
            case BtfKind.Struct or BtfKind.Union:
                var members = new BtfMember[vlen];
                for (int i = 0; i < vlen; i++)
                {
                    uint offset = U32(i * 12 + 8);
                    members[i] = new BtfMember(String(U32(i * 12)), (int)U32(i * 12 + 4),
                        kflag ? offset & 0xffffff : offset, kflag ? offset >> 24 : 0);
                }
                return new BtfType(id, kind, name, kflag, vlen, sizeOrType) { Members = members };
            case BtfKind.Enum:
                var values = new BtfEnumValue[vlen];
                for (int i = 0; i < vlen; i++)
                {
                    uint raw = U32(i * 8 + 4);
                    values[i] = new BtfEnumValue(String(U32(i * 8)), kflag ? (int)raw : raw);
                }
                return new BtfType(id, kind, name, kflag, vlen, sizeOrType) { EnumValues = values };
            case BtfKind.Enum64:
                var values64 = new BtfEnumValue[vlen];
                for (int i = 0; i < vlen; i++)
                    values64[i] = new BtfEnumValue(String(U32(i * 12)), (long)(((ulong)U32(i * 12 + 8) << 32) | U32(i * 12 + 4)));
                return new BtfType(id, kind, name, kflag, vlen, sizeOrType) { EnumValues = values64 };
            case BtfKind.FuncProto:
                var parameters = new BtfParam[vlen];
                for (int i = 0; i < vlen; i++)
                    parameters[i] = new BtfParam(String(U32(i * 8)), (int)U32(i * 8 + 4));
                return new BtfType(id, kind, name, kflag, vlen, sizeOrType) { Params = parameters };
            case BtfKind.Var:
                return new BtfType(id, kind, name, kflag, vlen, sizeOrType) { Linkage = U32(0) };
            case BtfKind.Func:
                return new BtfType(id, kind, name, kflag, vlen, sizeOrType) { Linkage = (uint)vlen };
            case BtfKind.DataSec:
                var vars = new BtfDataSecVar[vlen];
                for (int i = 0; i < vlen; i++)
                    vars[i] = new BtfDataSecVar((int)U32(i * 12), U32(i * 12 + 4), U32(i * 12 + 8));
                return new BtfType(id, kind, name, kflag, vlen, sizeOrType) { Variables = vars };
            case BtfKind.DeclTag:
                return new BtfType(id, kind, name, kflag, vlen, sizeOrType) { ComponentIndex = (int)U32(0) };
            default:
                return new BtfType(id, kind, name, kflag, vlen, sizeOrType);
        }
    }

    /// <summary>
    /// clang leaves DATASEC sizes and VAR offsets 0 for sections whose layout the linker decides;
    /// the kernel rejects that. Sets each DATASEC's size from its ELF section and each entry's
    /// offset from its VAR's symbol value. Sections or symbols the callbacks do not know are left alone.
    /// </summary>
    internal void FixDataSections(Func<string, ulong?> sectionSize, Func<string, string, ulong?> symbolValue)
    {
        if (_mapping is not null) throw new InvalidOperationException("a mapped BTF is read-only");
        for (int id = 1; id < _count; id++)
        {
            if (KindAt(id) != BtfKind.DataSec) continue;
            BtfType sec = Type(id);
            if (sectionSize(sec.Name) is not ulong size) continue;
            Span<byte> raw = Data[_offsets[id]..];
            if (size > uint.MaxValue) throw new BpfObjectException($"section {sec.Name} of {size} bytes is too large for its BTF DATASEC");
            BinaryPrimitives.WriteUInt32LittleEndian(raw[8..], (uint)size);
            for (int i = 0; i < sec.Variables.Count; i++)
            {
                BtfType v = Type(sec.Variables[i].TypeId);
                if (v.Kind != BtfKind.Var) continue;
                if (symbolValue(sec.Name, v.Name) is not ulong offset) continue;
                if (offset > uint.MaxValue) throw new BpfObjectException($"variable {v.Name} at offset {offset} of {sec.Name} is too far for its BTF DATASEC");
                BinaryPrimitives.WriteUInt32LittleEndian(raw[(12 + i * 12 + 4)..], (uint)offset);
            }
            lock (_decoded) _decoded.Remove(id);
        }
    }

    /// <summary>
    /// The kernel refuses extern VARs and FUNCs (linkage 2) and DATASECs holding FUNCs; libbpf rewrites them
    /// before loading the object's BTF, and so do we, in place so that type ids stay: extern VARs become
    /// allocated ones, extern FUNCs typedefs of their prototypes, the <paramref name="ksymsSection"/> DATASEC
    /// a union of ints, and the <paramref name="kconfigSection"/> DATASEC takes the layout of the .kconfig
    /// map's value (<paramref name="kconfigOffset"/> by variable name, <paramref name="kconfigSize"/>).
    /// </summary>
    internal void FixExterns(string kconfigSection, string ksymsSection, Func<string, int?> kconfigOffset, int kconfigSize)
    {
        if (_mapping is not null) throw new InvalidOperationException("a mapped BTF is read-only");
        int intId = 0;
        for (int id = 1; id < _count && intId == 0; id++)
            if (KindAt(id) == BtfKind.Int) intId = id;
        for (int id = 1; id < _count; id++)
        {
            BtfKind kind = KindAt(id);
            if (kind is not (BtfKind.Var or BtfKind.Func or BtfKind.DataSec)) continue;
            BtfType t = Type(id);
            Span<byte> raw = Data[_offsets[id]..];
            if (kind == BtfKind.Var && t.Linkage == 2)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(raw[12..], 1);
                // A ksym may be void (untyped) and is placed in no section: as libbpf, an int stands in.
                if (kconfigOffset(t.Name) is null && intId != 0) BinaryPrimitives.WriteUInt32LittleEndian(raw[8..], (uint)intId);
            }
            else if (kind == BtfKind.Func && t.Linkage == 2)
            {
                WriteHeader(raw, BinaryPrimitives.ReadUInt32LittleEndian(raw), BtfKind.Typedef, 0, false, t.SizeOrType);
            }
            else if (kind == BtfKind.DataSec && t.Name == kconfigSection)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(raw[8..], (uint)kconfigSize);
                for (int i = 0; i < t.Variables.Count; i++)
                {
                    BtfType v = Type(t.Variables[i].TypeId);
                    if (kconfigOffset(v.Name) is not int offset) continue;
                    BinaryPrimitives.WriteUInt32LittleEndian(raw[(12 + i * 12 + 4)..], (uint)offset);
                    BinaryPrimitives.WriteUInt32LittleEndian(raw[(12 + i * 12 + 8)..], (uint)ResolveSize(v.TypeId));
                }
            }
            else if (kind == BtfKind.DataSec && t.Name == ksymsSection && intId != 0)
            {
                // Same 12-byte entries as a union's members: (name, type, bit offset) = (none, int, 0).
                BtfType intType = Type(intId);
                WriteHeader(raw, 0, BtfKind.Union, (uint)t.VLen, false, intType.Size);
                for (int i = 0; i < t.VLen; i++)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(raw[(12 + i * 12)..], 0);
                    BinaryPrimitives.WriteUInt32LittleEndian(raw[(12 + i * 12 + 4)..], (uint)intId);
                    BinaryPrimitives.WriteUInt32LittleEndian(raw[(12 + i * 12 + 8)..], 0);
                }
            }
            else
            {
                continue;
            }
            lock (_decoded) _decoded.Remove(id);
        }
    }

    /// <summary>
    /// The BTF as bytes for BPF_BTF_LOAD. Kinds the kernel lacks (per <paramref name="supported"/>)
    /// are rewritten, as libbpf does, to older kinds of the same size and layout so type ids stay the same.
    /// </summary>
    public byte[] Marshal(BtfFeatures supported = BtfFeatures.All)
    {
        var blob = new byte[HeaderSize + _typesLength + _stringsLength];
        Span<byte> span = blob;
        BinaryPrimitives.WriteUInt16LittleEndian(span, Magic);
        span[2] = 1;
        span[3] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], (uint)_typesLength);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], (uint)_typesLength);
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], (uint)_stringsLength);
        Data.Slice(_typesStart, _typesLength).CopyTo(span[HeaderSize..]);
        Data.Slice(_stringsStart, _stringsLength).CopyTo(span[(HeaderSize + _typesLength)..]);
        if (supported != BtfFeatures.All)
            Sanitize(span, supported);
        return blob;
    }

    private void Sanitize(Span<byte> blob, BtfFeatures supported)
    {
        for (int id = 1; id < _count; id++)
        {
            Span<byte> t = blob[(HeaderSize + _offsets[id] - _typesStart)..];
            uint info = BinaryPrimitives.ReadUInt32LittleEndian(t[4..]);
            var kind = (BtfKind)((info >> 24) & 0x1f);
            uint vlen = info & 0xffff;
            switch (kind)
            {
                case BtfKind.DeclTag when (supported & BtfFeatures.DeclTag) == 0:
                    // An unnamed 1-byte INT has the same 4 trailing bytes; nothing refers to a tag.
                    WriteHeader(t, 0, BtfKind.Int, 0, false, 1);
                    BinaryPrimitives.WriteUInt32LittleEndian(t[12..], 8);
                    break;
                case BtfKind.TypeTag when (supported & BtfFeatures.TypeTag) == 0:
                    WriteHeader(t, 0, BtfKind.Const, 0, false, BinaryPrimitives.ReadUInt32LittleEndian(t[8..]));
                    break;
                case BtfKind.Float when (supported & BtfFeatures.Float) == 0:
                    // A member-less struct of the same size.
                    WriteHeader(t, BinaryPrimitives.ReadUInt32LittleEndian(t), BtfKind.Struct, 0, false, BinaryPrimitives.ReadUInt32LittleEndian(t[8..]));
                    break;
                case BtfKind.Enum64 when (supported & BtfFeatures.Enum64) == 0:
                    // Same 12-byte entries as a union's members: name, "type" (lo32), "offset" (hi32); made
                    // harmless as members of type void at offset 0 in a union of the enum's size.
                    WriteHeader(t, BinaryPrimitives.ReadUInt32LittleEndian(t), BtfKind.Union, vlen, false, BinaryPrimitives.ReadUInt32LittleEndian(t[8..]));
                    for (int i = 0; i < vlen; i++)
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(t[(12 + i * 12 + 4)..], 0);
                        BinaryPrimitives.WriteUInt32LittleEndian(t[(12 + i * 12 + 8)..], 0);
                    }
                    break;
            }
        }
    }

    private static void WriteHeader(Span<byte> t, uint nameOff, BtfKind kind, uint vlen, bool kflag, uint sizeOrType)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(t, nameOff);
        BinaryPrimitives.WriteUInt32LittleEndian(t[4..], ((uint)kind << 24) | vlen | (kflag ? 0x8000_0000u : 0));
        BinaryPrimitives.WriteUInt32LittleEndian(t[8..], sizeOrType);
    }
}
