using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TcpStates.Output;

/// <summary>
/// The columns of a row that a socket keeps through its changes, SKADDR and LADDR to RPORT, as <see cref="ColumnRow"/>
/// last wrote them for it: a socket prints a row per change, and these columns are most of the formatting of each. A
/// small table indexed by the socket's address, where a newer socket takes an older one's entry. An entry is used only
/// when the socket's address, both addresses, both ports and the layout are the ones it was written for, so it can be
/// missing but never wrong. IPv4 rows only: they have fixed widths. IPv6 rows are written in full.
/// </summary>
internal sealed class SocketColumns
{
    private const int Entries = 256;   // sockets whose changes interleave in the output: a few at a time
    private const int EntrySize = 144;
    private const int KeySize = 24;          // the socket, both addresses, both ports and the layout
    private const int SkAddrOffset = KeySize;
    private const int SegmentOffset = SkAddrOffset + SkAddrBytes;

    /// <summary>SKADDR's digits padded to its width (its separator not included).</summary>
    public const int SkAddrBytes = 16;

    /// <summary>Room for LADDR to RPORT with their separators: 44 bytes in the default layout, 92 wide; copied as whole
    /// vectors. What that copies past the segment is written over by the columns after it, or lies past the row's end,
    /// where the printer's next row writes.</summary>
    public const int SegmentRoom = 96;

    private const ulong Valid = 1UL << 33, Wide = 1UL << 32;

    private readonly byte[] _entries = new byte[Entries * EntrySize];

    /// <summary>The entry of <paramref name="e"/>'s socket (an IPv4 event) and whether it holds this socket's columns in
    /// this layout.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref byte Find(scoped in TcpStateEvent e, bool wide, out bool hit)
    {
        int index = (int)((e.SkAddr * 0x9E3779B97F4A7C15UL) >> 56);   // socket addresses are aligned: spread the high bits
        ref byte entry = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_entries), index * EntrySize);
        hit = Unsafe.ReadUnaligned<ulong>(ref entry) == e.SkAddr
            && Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref entry, 8)) == Addresses(e)
            && Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref entry, 16)) == Ports(e, wide);
        return ref entry;
    }

    /// <summary>Writes the entry's SKADDR text at <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopySkAddr(ref byte entry, ref byte at) =>
        Vector128.LoadUnsafe(ref Unsafe.Add(ref entry, SkAddrOffset)).StoreUnsafe(ref at);

    /// <summary>Writes the entry's LADDR-to-RPORT text at <paramref name="at"/> (<see cref="SegmentRoom"/> bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopySegment(ref byte entry, ref byte at)
    {
        ref byte from = ref Unsafe.Add(ref entry, SegmentOffset);
        for (nuint i = 0; i < SegmentRoom; i += 16)
            Vector128.LoadUnsafe(ref from, i).StoreUnsafe(ref at, i);
    }

    /// <summary>Keeps what <see cref="ColumnRow"/> just wrote for <paramref name="e"/>'s socket in its entry: SKADDR at
    /// <paramref name="skAddr"/>, the segment at <paramref name="segment"/> (with <see cref="SegmentRoom"/> bytes
    /// readable from there).</summary>
    public static void Store(ref byte entry, in TcpStateEvent e, bool wide, ref byte skAddr, ref byte segment)
    {
        Vector128.LoadUnsafe(ref skAddr).StoreUnsafe(ref Unsafe.Add(ref entry, SkAddrOffset));
        ref byte to = ref Unsafe.Add(ref entry, SegmentOffset);
        for (nuint i = 0; i < SegmentRoom; i += 16)
            Vector128.LoadUnsafe(ref segment, i).StoreUnsafe(ref to, i);
        Unsafe.WriteUnaligned(ref entry, e.SkAddr);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref entry, 8), Addresses(e));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref entry, 16), Ports(e, wide));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Addresses(in TcpStateEvent e) =>
        Unsafe.ReadUnaligned<uint>(ref Unsafe.As<AddressBytes, byte>(ref Unsafe.AsRef(in e.SourceAddress)))
        | (ulong)Unsafe.ReadUnaligned<uint>(ref Unsafe.As<AddressBytes, byte>(ref Unsafe.AsRef(in e.DestinationAddress))) << 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Ports(in TcpStateEvent e, bool wide) =>
        e.SourcePort | (ulong)e.DestinationPort << 16 | (wide ? Wide : 0) | Valid;
}
