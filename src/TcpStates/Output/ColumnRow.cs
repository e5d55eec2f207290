using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TcpStates.Output;

/// <summary>
/// The columns of one event (the default layout, -w, and -s's CSV) written in one pass from tables: IPv4 octets, hex and
/// decimal digit pairs, state names already padded. A padded field is written over a run of spaces stored first,
/// so no field is measured twice. It takes the rows nearly every host prints (a command name of printable ASCII,
/// states the kernel names); any other row is left to <see cref="EventPrinter"/>'s general path, which prints
/// the same bytes field by field.
/// </summary>
internal static class ColumnRow
{
    /// <summary>Room the destination must have: the longest row this writes (a wide IPv6 row with a 20-digit MS
    /// is under 220 bytes) plus the whole vectors it stores or copies past a field's end.</summary>
    public const int Room = 320;

    private const int SkAddrWidth = 16, PidWidth = 5, PortWidth = 5, StateWidth = 11;
    private const int CommWidth = 10, WideCommWidth = 16, AddressWidth = 15, WideAddressWidth = 39;

    // The tables are constant data in the binary (no static constructor, no check on access); made by a script
    // from their definitions, which the comments give; EventPrinterTests' random rows check them against the
    // original's format strings.

    /// <summary>Each octet's digits followed by spaces (3 bytes), then their count: 4 bytes per octet.</summary>
    private static ReadOnlySpan<byte> Octets =>
    [
        0x30, 0x20, 0x20, 1, 0x31, 0x20, 0x20, 1, 0x32, 0x20, 0x20, 1, 0x33, 0x20, 0x20, 1,
        0x34, 0x20, 0x20, 1, 0x35, 0x20, 0x20, 1, 0x36, 0x20, 0x20, 1, 0x37, 0x20, 0x20, 1,
        0x38, 0x20, 0x20, 1, 0x39, 0x20, 0x20, 1, 0x31, 0x30, 0x20, 2, 0x31, 0x31, 0x20, 2,
        0x31, 0x32, 0x20, 2, 0x31, 0x33, 0x20, 2, 0x31, 0x34, 0x20, 2, 0x31, 0x35, 0x20, 2,
        0x31, 0x36, 0x20, 2, 0x31, 0x37, 0x20, 2, 0x31, 0x38, 0x20, 2, 0x31, 0x39, 0x20, 2,
        0x32, 0x30, 0x20, 2, 0x32, 0x31, 0x20, 2, 0x32, 0x32, 0x20, 2, 0x32, 0x33, 0x20, 2,
        0x32, 0x34, 0x20, 2, 0x32, 0x35, 0x20, 2, 0x32, 0x36, 0x20, 2, 0x32, 0x37, 0x20, 2,
        0x32, 0x38, 0x20, 2, 0x32, 0x39, 0x20, 2, 0x33, 0x30, 0x20, 2, 0x33, 0x31, 0x20, 2,
        0x33, 0x32, 0x20, 2, 0x33, 0x33, 0x20, 2, 0x33, 0x34, 0x20, 2, 0x33, 0x35, 0x20, 2,
        0x33, 0x36, 0x20, 2, 0x33, 0x37, 0x20, 2, 0x33, 0x38, 0x20, 2, 0x33, 0x39, 0x20, 2,
        0x34, 0x30, 0x20, 2, 0x34, 0x31, 0x20, 2, 0x34, 0x32, 0x20, 2, 0x34, 0x33, 0x20, 2,
        0x34, 0x34, 0x20, 2, 0x34, 0x35, 0x20, 2, 0x34, 0x36, 0x20, 2, 0x34, 0x37, 0x20, 2,
        0x34, 0x38, 0x20, 2, 0x34, 0x39, 0x20, 2, 0x35, 0x30, 0x20, 2, 0x35, 0x31, 0x20, 2,
        0x35, 0x32, 0x20, 2, 0x35, 0x33, 0x20, 2, 0x35, 0x34, 0x20, 2, 0x35, 0x35, 0x20, 2,
        0x35, 0x36, 0x20, 2, 0x35, 0x37, 0x20, 2, 0x35, 0x38, 0x20, 2, 0x35, 0x39, 0x20, 2,
        0x36, 0x30, 0x20, 2, 0x36, 0x31, 0x20, 2, 0x36, 0x32, 0x20, 2, 0x36, 0x33, 0x20, 2,
        0x36, 0x34, 0x20, 2, 0x36, 0x35, 0x20, 2, 0x36, 0x36, 0x20, 2, 0x36, 0x37, 0x20, 2,
        0x36, 0x38, 0x20, 2, 0x36, 0x39, 0x20, 2, 0x37, 0x30, 0x20, 2, 0x37, 0x31, 0x20, 2,
        0x37, 0x32, 0x20, 2, 0x37, 0x33, 0x20, 2, 0x37, 0x34, 0x20, 2, 0x37, 0x35, 0x20, 2,
        0x37, 0x36, 0x20, 2, 0x37, 0x37, 0x20, 2, 0x37, 0x38, 0x20, 2, 0x37, 0x39, 0x20, 2,
        0x38, 0x30, 0x20, 2, 0x38, 0x31, 0x20, 2, 0x38, 0x32, 0x20, 2, 0x38, 0x33, 0x20, 2,
        0x38, 0x34, 0x20, 2, 0x38, 0x35, 0x20, 2, 0x38, 0x36, 0x20, 2, 0x38, 0x37, 0x20, 2,
        0x38, 0x38, 0x20, 2, 0x38, 0x39, 0x20, 2, 0x39, 0x30, 0x20, 2, 0x39, 0x31, 0x20, 2,
        0x39, 0x32, 0x20, 2, 0x39, 0x33, 0x20, 2, 0x39, 0x34, 0x20, 2, 0x39, 0x35, 0x20, 2,
        0x39, 0x36, 0x20, 2, 0x39, 0x37, 0x20, 2, 0x39, 0x38, 0x20, 2, 0x39, 0x39, 0x20, 2,
        0x31, 0x30, 0x30, 3, 0x31, 0x30, 0x31, 3, 0x31, 0x30, 0x32, 3, 0x31, 0x30, 0x33, 3,
        0x31, 0x30, 0x34, 3, 0x31, 0x30, 0x35, 3, 0x31, 0x30, 0x36, 3, 0x31, 0x30, 0x37, 3,
        0x31, 0x30, 0x38, 3, 0x31, 0x30, 0x39, 3, 0x31, 0x31, 0x30, 3, 0x31, 0x31, 0x31, 3,
        0x31, 0x31, 0x32, 3, 0x31, 0x31, 0x33, 3, 0x31, 0x31, 0x34, 3, 0x31, 0x31, 0x35, 3,
        0x31, 0x31, 0x36, 3, 0x31, 0x31, 0x37, 3, 0x31, 0x31, 0x38, 3, 0x31, 0x31, 0x39, 3,
        0x31, 0x32, 0x30, 3, 0x31, 0x32, 0x31, 3, 0x31, 0x32, 0x32, 3, 0x31, 0x32, 0x33, 3,
        0x31, 0x32, 0x34, 3, 0x31, 0x32, 0x35, 3, 0x31, 0x32, 0x36, 3, 0x31, 0x32, 0x37, 3,
        0x31, 0x32, 0x38, 3, 0x31, 0x32, 0x39, 3, 0x31, 0x33, 0x30, 3, 0x31, 0x33, 0x31, 3,
        0x31, 0x33, 0x32, 3, 0x31, 0x33, 0x33, 3, 0x31, 0x33, 0x34, 3, 0x31, 0x33, 0x35, 3,
        0x31, 0x33, 0x36, 3, 0x31, 0x33, 0x37, 3, 0x31, 0x33, 0x38, 3, 0x31, 0x33, 0x39, 3,
        0x31, 0x34, 0x30, 3, 0x31, 0x34, 0x31, 3, 0x31, 0x34, 0x32, 3, 0x31, 0x34, 0x33, 3,
        0x31, 0x34, 0x34, 3, 0x31, 0x34, 0x35, 3, 0x31, 0x34, 0x36, 3, 0x31, 0x34, 0x37, 3,
        0x31, 0x34, 0x38, 3, 0x31, 0x34, 0x39, 3, 0x31, 0x35, 0x30, 3, 0x31, 0x35, 0x31, 3,
        0x31, 0x35, 0x32, 3, 0x31, 0x35, 0x33, 3, 0x31, 0x35, 0x34, 3, 0x31, 0x35, 0x35, 3,
        0x31, 0x35, 0x36, 3, 0x31, 0x35, 0x37, 3, 0x31, 0x35, 0x38, 3, 0x31, 0x35, 0x39, 3,
        0x31, 0x36, 0x30, 3, 0x31, 0x36, 0x31, 3, 0x31, 0x36, 0x32, 3, 0x31, 0x36, 0x33, 3,
        0x31, 0x36, 0x34, 3, 0x31, 0x36, 0x35, 3, 0x31, 0x36, 0x36, 3, 0x31, 0x36, 0x37, 3,
        0x31, 0x36, 0x38, 3, 0x31, 0x36, 0x39, 3, 0x31, 0x37, 0x30, 3, 0x31, 0x37, 0x31, 3,
        0x31, 0x37, 0x32, 3, 0x31, 0x37, 0x33, 3, 0x31, 0x37, 0x34, 3, 0x31, 0x37, 0x35, 3,
        0x31, 0x37, 0x36, 3, 0x31, 0x37, 0x37, 3, 0x31, 0x37, 0x38, 3, 0x31, 0x37, 0x39, 3,
        0x31, 0x38, 0x30, 3, 0x31, 0x38, 0x31, 3, 0x31, 0x38, 0x32, 3, 0x31, 0x38, 0x33, 3,
        0x31, 0x38, 0x34, 3, 0x31, 0x38, 0x35, 3, 0x31, 0x38, 0x36, 3, 0x31, 0x38, 0x37, 3,
        0x31, 0x38, 0x38, 3, 0x31, 0x38, 0x39, 3, 0x31, 0x39, 0x30, 3, 0x31, 0x39, 0x31, 3,
        0x31, 0x39, 0x32, 3, 0x31, 0x39, 0x33, 3, 0x31, 0x39, 0x34, 3, 0x31, 0x39, 0x35, 3,
        0x31, 0x39, 0x36, 3, 0x31, 0x39, 0x37, 3, 0x31, 0x39, 0x38, 3, 0x31, 0x39, 0x39, 3,
        0x32, 0x30, 0x30, 3, 0x32, 0x30, 0x31, 3, 0x32, 0x30, 0x32, 3, 0x32, 0x30, 0x33, 3,
        0x32, 0x30, 0x34, 3, 0x32, 0x30, 0x35, 3, 0x32, 0x30, 0x36, 3, 0x32, 0x30, 0x37, 3,
        0x32, 0x30, 0x38, 3, 0x32, 0x30, 0x39, 3, 0x32, 0x31, 0x30, 3, 0x32, 0x31, 0x31, 3,
        0x32, 0x31, 0x32, 3, 0x32, 0x31, 0x33, 3, 0x32, 0x31, 0x34, 3, 0x32, 0x31, 0x35, 3,
        0x32, 0x31, 0x36, 3, 0x32, 0x31, 0x37, 3, 0x32, 0x31, 0x38, 3, 0x32, 0x31, 0x39, 3,
        0x32, 0x32, 0x30, 3, 0x32, 0x32, 0x31, 3, 0x32, 0x32, 0x32, 3, 0x32, 0x32, 0x33, 3,
        0x32, 0x32, 0x34, 3, 0x32, 0x32, 0x35, 3, 0x32, 0x32, 0x36, 3, 0x32, 0x32, 0x37, 3,
        0x32, 0x32, 0x38, 3, 0x32, 0x32, 0x39, 3, 0x32, 0x33, 0x30, 3, 0x32, 0x33, 0x31, 3,
        0x32, 0x33, 0x32, 3, 0x32, 0x33, 0x33, 3, 0x32, 0x33, 0x34, 3, 0x32, 0x33, 0x35, 3,
        0x32, 0x33, 0x36, 3, 0x32, 0x33, 0x37, 3, 0x32, 0x33, 0x38, 3, 0x32, 0x33, 0x39, 3,
        0x32, 0x34, 0x30, 3, 0x32, 0x34, 0x31, 3, 0x32, 0x34, 0x32, 3, 0x32, 0x34, 0x33, 3,
        0x32, 0x34, 0x34, 3, 0x32, 0x34, 0x35, 3, 0x32, 0x34, 0x36, 3, 0x32, 0x34, 0x37, 3,
        0x32, 0x34, 0x38, 3, 0x32, 0x34, 0x39, 3, 0x32, 0x35, 0x30, 3, 0x32, 0x35, 0x31, 3,
        0x32, 0x35, 0x32, 3, 0x32, 0x35, 0x33, 3, 0x32, 0x35, 0x34, 3, 0x32, 0x35, 0x35, 3,
    ];

    /// <summary>The two lowercase hex digits of each byte.</summary>
    private static ReadOnlySpan<byte> HexPairs => "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"u8;

    /// <summary>The two decimal digits of 0-99.</summary>
    private static ReadOnlySpan<byte> DecimalPairs => "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    /// <summary>10^0 to 10^9, little-endian u32s.</summary>
    private static ReadOnlySpan<byte> PowersOf10 =>
    [
        0x01, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0xe8, 0x03, 0x00, 0x00,
        0x10, 0x27, 0x00, 0x00, 0xa0, 0x86, 0x01, 0x00, 0x40, 0x42, 0x0f, 0x00, 0x80, 0x96, 0x98, 0x00,
        0x00, 0xe1, 0xf5, 0x05, 0x00, 0xca, 0x9a, 0x3b,
    ];

    /// <summary>States 1-12: the name padded with spaces to 16 bytes, then (the 17th byte of each) its length.</summary>
    private static ReadOnlySpan<byte> States =>
    [
        69, 83, 84, 65, 66, 76, 73, 83, 72, 69, 68, 32, 32, 32, 32, 32, 11, // ESTABLISHED
        83, 89, 78, 95, 83, 69, 78, 84, 32, 32, 32, 32, 32, 32, 32, 32, 8, // SYN_SENT
        83, 89, 78, 95, 82, 69, 67, 86, 32, 32, 32, 32, 32, 32, 32, 32, 8, // SYN_RECV
        70, 73, 78, 95, 87, 65, 73, 84, 49, 32, 32, 32, 32, 32, 32, 32, 9, // FIN_WAIT1
        70, 73, 78, 95, 87, 65, 73, 84, 50, 32, 32, 32, 32, 32, 32, 32, 9, // FIN_WAIT2
        84, 73, 77, 69, 95, 87, 65, 73, 84, 32, 32, 32, 32, 32, 32, 32, 9, // TIME_WAIT
        67, 76, 79, 83, 69, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 5, // CLOSE
        67, 76, 79, 83, 69, 95, 87, 65, 73, 84, 32, 32, 32, 32, 32, 32, 10, // CLOSE_WAIT
        76, 65, 83, 84, 95, 65, 67, 75, 32, 32, 32, 32, 32, 32, 32, 32, 8, // LAST_ACK
        76, 73, 83, 84, 69, 78, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 6, // LISTEN
        67, 76, 79, 83, 73, 78, 71, 32, 32, 32, 32, 32, 32, 32, 32, 32, 7, // CLOSING
        78, 69, 87, 95, 83, 89, 78, 95, 82, 69, 67, 86, 32, 32, 32, 32, 12, // NEW_SYN_RECV
    ];

    /// <summary>
    /// Writes the row from SKADDR to MS (MS padded to <paramref name="msWidth"/>), without the newline, into
    /// <paramref name="destination"/> (at least <see cref="Room"/> bytes); returns its length, or -1 when the row
    /// needs the general path (nothing meaningful was written then).
    /// </summary>
    /// <remarks>With <paramref name="columns"/>, an IPv4 row takes SKADDR and LADDR to RPORT from the socket's last row
    /// where they are the same (see <see cref="SocketColumns"/>), and leaves them there for its next.</remarks>
    public static int Write(Span<byte> destination, in TcpStateEvent e, bool wide, int msWidth, SocketColumns? columns = null)
    {
        if (destination.Length < Room || (uint)(e.OldState - 1) >= 12 || (uint)(e.NewState - 1) >= 12)
            return -1;
        ref byte start = ref MemoryMarshal.GetReference(destination);
        ref byte at = ref start;
        bool ipv4 = e.IsIPv4;
        bool cached = false;
        ref byte entry = ref Unsafe.NullRef<byte>();
        if (ipv4 && columns is not null)
            entry = ref columns.Find(e, wide, out cached);

        if (cached)
            SocketColumns.CopySkAddr(ref entry, ref at);
        else
            WriteHex(ref Spaces16(ref at), e.SkAddr);   // at most 16 digits: the column's width
        Unsafe.Add(ref at, SkAddrWidth) = (byte)' ';
        at = ref Unsafe.Add(ref at, SkAddrWidth + 1);
        at = ref Padded(ref at, WriteUInt(ref Spaces8(ref at), e.Pid), PidWidth);
        int comm = WriteName(ref at, e, wide ? WideCommWidth : CommWidth);
        if (comm < 0)
            return -1;
        at = ref Unsafe.Add(ref at, comm);
        at = (byte)' ';
        at = ref Unsafe.Add(ref at, 1);
        if (wide)
        {
            Unsafe.WriteUnaligned(ref at, (ushort)(ipv4 ? '4' | ' ' << 8 : '6' | ' ' << 8));
            at = ref Unsafe.Add(ref at, 2);
            at = (byte)' ';
            at = ref Unsafe.Add(ref at, 1);
        }
        int addressWidth = wide ? WideAddressWidth : AddressWidth;
        if (cached)
        {
            // IPv4 columns have fixed widths: each address fits its width, each port its 5.
            SocketColumns.CopySegment(ref entry, ref at);
            at = ref Unsafe.Add(ref at, 2 * (addressWidth + 1 + PortWidth + 1));
        }
        else
        {
            ref byte segment = ref at;
            at = ref Padded(ref at, WriteAddress(ref at, e.SourceAddress, ipv4, addressWidth), addressWidth);
            at = ref Padded(ref at, WriteUInt(ref Spaces8(ref at), e.SourcePort), PortWidth);
            at = ref Padded(ref at, WriteAddress(ref at, e.DestinationAddress, ipv4, addressWidth), addressWidth);
            at = ref Padded(ref at, WriteUInt(ref Spaces8(ref at), e.DestinationPort), PortWidth);
            if (!Unsafe.IsNullRef(ref entry))
                SocketColumns.Store(ref entry, e, wide, ref start, ref segment);
        }
        at = ref Padded(ref at, WriteState(ref at, e.OldState), StateWidth, separator: false);
        Unsafe.WriteUnaligned(ref at, (uint)(' ' | '-' << 8 | '>' << 16 | ' ' << 24));
        at = ref Unsafe.Add(ref at, 4);
        at = ref Padded(ref at, WriteState(ref at, e.NewState), StateWidth);
        int ms = WriteMilliseconds(ref Spaces16(ref at), e.DeltaUs);
        if (ms < 0)
            return -1;
        at = ref Unsafe.Add(ref at, Math.Max(ms, msWidth));
        return (int)Unsafe.ByteOffset(ref start, ref at);
    }

    /// <summary>
    /// The same for CSV (-s): the fields from SKADDR to MS unpadded, separated by commas, without the newline; -1
    /// when the row needs the general path (a name to quote or escape, a state the kernel does not name).
    /// </summary>
    public static int WriteCsv(Span<byte> destination, in TcpStateEvent e)
    {
        if (destination.Length < Room || (uint)(e.OldState - 1) >= 12 || (uint)(e.NewState - 1) >= 12)
            return -1;
        ref byte start = ref MemoryMarshal.GetReference(destination);
        ref byte at = ref start;

        at = ref Comma(ref at, WriteHex(ref at, e.SkAddr));
        at = ref Comma(ref at, WriteUInt(ref at, e.Pid));
        int name = WriteCsvName(ref at, e);
        if (name < 0)
            return -1;
        at = ref Comma(ref at, name);
        bool ipv4 = e.IsIPv4;
        Unsafe.WriteUnaligned(ref at, (ushort)(ipv4 ? '4' | ',' << 8 : '6' | ',' << 8));
        at = ref Unsafe.Add(ref at, 2);
        at = ref Comma(ref at, WriteAddress(ref at, e.SourceAddress, ipv4, AddressWidth));
        at = ref Comma(ref at, WriteUInt(ref at, e.SourcePort));
        at = ref Comma(ref at, WriteAddress(ref at, e.DestinationAddress, ipv4, AddressWidth));
        at = ref Comma(ref at, WriteUInt(ref at, e.DestinationPort));
        at = ref Comma(ref at, WriteState(ref at, e.OldState));
        at = ref Comma(ref at, WriteState(ref at, e.NewState));
        int ms = WriteMilliseconds(ref at, e.DeltaUs);
        if (ms < 0)
            return -1;
        at = ref Unsafe.Add(ref at, ms);
        return (int)Unsafe.ByteOffset(ref start, ref at);
    }

    /// <summary>Past a field of <paramref name="length"/> and the comma after it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref byte Comma(ref byte field, int length)
    {
        ref byte end = ref Unsafe.Add(ref field, length);
        end = (byte)',';
        return ref Unsafe.Add(ref end, 1);
    }

    /// <summary>Past a field of <paramref name="length"/> written over spaces, padded to <paramref name="width"/>, and
    /// the separating space (already there unless the field filled its width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref byte Padded(ref byte field, int length, int width, bool separator = true)
    {
        ref byte end = ref Unsafe.Add(ref field, Math.Max(length, width));
        if (!separator)
            return ref end;
        end = (byte)' ';
        return ref Unsafe.Add(ref end, 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref byte Spaces8(ref byte at)
    {
        Unsafe.WriteUnaligned(ref at, 0x2020202020202020UL);
        return ref at;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref byte Spaces16(ref byte at)
    {
        Vector128.Create((byte)' ').StoreUnsafe(ref at);
        return ref at;
    }

    /// <summary>Entry <paramref name="index"/> of a table of <typeparamref name="T"/>s kept as bytes (constant data,
    /// not an array), by an index its caller bounds (a byte, a remainder, a digit count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T At<T>(ReadOnlySpan<byte> table, int index) where T : unmanaged =>
        Unsafe.ReadUnaligned<T>(ref Unsafe.Add(ref MemoryMarshal.GetReference(table), index * Unsafe.SizeOf<T>()));

    /// <summary>%x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteHex(ref byte at, ulong value)
    {
        int count = value == 0 ? 1 : (67 - BitOperations.LeadingZeroCount(value)) / 4;
        ref byte end = ref Unsafe.Add(ref at, count);
        while (value >= 0x100)
        {
            end = ref Unsafe.Subtract(ref end, 2);
            Unsafe.WriteUnaligned(ref end, At<ushort>(HexPairs, (int)(value & 0xff)));
            value >>= 8;
        }
        if (value >= 0x10)
            Unsafe.WriteUnaligned(ref Unsafe.Subtract(ref end, 2), At<ushort>(HexPairs, (int)value));
        else
            Unsafe.Subtract(ref end, 1) = (byte)At<ushort>(HexPairs, (int)value << 4 | (int)value);   // a pair "xx": its first byte
        return count;
    }

    /// <summary>%u.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteUInt(ref byte at, uint value)
    {
        int bits = 32 - BitOperations.LeadingZeroCount(value | 1);
        int guess = bits * 1233 >> 12;   // log10(2^bits), never more than one short
        int count = Math.Max(1, guess + (value >= At<uint>(PowersOf10, guess) ? 1 : 0));
        ref byte end = ref Unsafe.Add(ref at, count);
        while (value >= 100)
        {
            uint rest = value / 100;
            end = ref Unsafe.Subtract(ref end, 2);
            Unsafe.WriteUnaligned(ref end, At<ushort>(DecimalPairs, (int)(value - rest * 100)));
            value = rest;
        }
        if (value >= 10)
            Unsafe.WriteUnaligned(ref Unsafe.Subtract(ref end, 2), At<ushort>(DecimalPairs, (int)value));
        else
            Unsafe.Subtract(ref end, 1) = (byte)('0' + value);
        return count;
    }

    /// <summary>%.3f of a time in microseconds as milliseconds (as <see cref="AsciiNumber.WriteMilliseconds"/>);
    /// -1 past 2^32 ms (the general path prints those).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteMilliseconds(ref byte at, ulong micros)
    {
        ulong whole = micros / 1000;
        if (whole > uint.MaxValue)
            return -1;
        uint fraction = (uint)(micros - whole * 1000);
        int n = WriteUInt(ref at, (uint)whole);
        ref byte tail = ref Unsafe.Add(ref at, n);
        uint hundreds = fraction / 100;
        tail = (byte)'.';
        Unsafe.Add(ref tail, 1) = (byte)('0' + hundreds);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref tail, 2), At<ushort>(DecimalPairs, (int)(fraction - hundreds * 100)));
        return n + 4;
    }

    /// <summary>
    /// The command name cut and padded to <paramref name="width"/> (10 or 16), when it is printable ASCII without
    /// a backslash (printed as it is); -1 for any other name (escaped by the general path).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteName(ref byte at, in TcpStateEvent e, int width)
    {
        Vector128<byte> name = Vector128.LoadUnsafe(ref Unsafe.As<TaskBytes, byte>(ref Unsafe.AsRef(in e.Task)));
        uint nuls = Vector128.Equals(name, Vector128<byte>.Zero).ExtractMostSignificantBits();
        int length = nuls == 0 ? TcpStateEvent.TaskLength : BitOperations.TrailingZeroCount(nuls);
        // Printable ASCII is 0x20-0x7e: c - 0x20 (wrapping) at most 0x5e. The backslash is escaped.
        Vector128<byte> unusual = Vector128.GreaterThan(name - Vector128.Create((byte)0x20), Vector128.Create((byte)0x5e))
            | Vector128.Equals(name, Vector128.Create((byte)'\\'));
        if ((unusual.ExtractMostSignificantBits() & ((1u << length) - 1)) != 0)
            return -1;
        Vector128<byte> kept = Vector128.LessThan(Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
            Vector128.Create((byte)length));
        Vector128.ConditionalSelect(kept, name, Vector128.Create((byte)' ')).StoreUnsafe(ref at);
        return width;
    }

    /// <summary>The command name as it is (its length), when it is printable ASCII without a backslash, a comma or a
    /// quote; -1 for any other name (escaped or quoted by the general path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteCsvName(ref byte at, in TcpStateEvent e)
    {
        Vector128<byte> name = Vector128.LoadUnsafe(ref Unsafe.As<TaskBytes, byte>(ref Unsafe.AsRef(in e.Task)));
        uint nuls = Vector128.Equals(name, Vector128<byte>.Zero).ExtractMostSignificantBits();
        int length = nuls == 0 ? TcpStateEvent.TaskLength : BitOperations.TrailingZeroCount(nuls);
        Vector128<byte> unusual = Vector128.GreaterThan(name - Vector128.Create((byte)0x20), Vector128.Create((byte)0x5e))
            | Vector128.Equals(name, Vector128.Create((byte)'\\'))
            | Vector128.Equals(name, Vector128.Create((byte)','))
            | Vector128.Equals(name, Vector128.Create((byte)'"'));
        if ((unusual.ExtractMostSignificantBits() & ((1u << length) - 1)) != 0)
            return -1;
        name.StoreUnsafe(ref at);   // what follows the name is written over
        return length;
    }

    /// <summary>The address over <paramref name="width"/> spaces (written first); its length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteAddress(ref byte at, in AddressBytes address, bool ipv4, int width)
    {
        Vector128<byte> spaces = Vector128.Create((byte)' ');
        spaces.StoreUnsafe(ref at);
        if (!ipv4)
        {
            spaces.StoreUnsafe(ref at, 16);
            spaces.StoreUnsafe(ref at, 32);
            spaces.StoreUnsafe(ref at, 48);   // room for AddressText.MaxLength
            return AddressText.WriteIPv6(address, MemoryMarshal.CreateSpan(ref at, AddressText.MaxLength));
        }
        if (width > 16)
        {
            spaces.StoreUnsafe(ref at, 16);
            spaces.StoreUnsafe(ref at, 32);
        }
        ref byte octets = ref Unsafe.As<AddressBytes, byte>(ref Unsafe.AsRef(in address));
        int n = 0;
        for (int i = 0; i < 4; i++)
        {
            // Four bytes stored whole: the digits, then spaces (the next field or the padding writes over them).
            uint text = At<uint>(Octets, Unsafe.Add(ref octets, i));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, n), (text & 0xffffff) | 0x20u << 24);
            n += (int)(text >> 24);
            if (i < 3)
                Unsafe.Add(ref at, n++) = (byte)'.';
        }
        return n;
    }

    /// <summary>A state (1-12) over 16 bytes; its name's length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteState(ref byte at, int state)
    {
        ref byte entry = ref Unsafe.Add(ref MemoryMarshal.GetReference(States), (state - 1) * 17);
        Vector128.LoadUnsafe(ref entry).StoreUnsafe(ref at);
        return Unsafe.Add(ref entry, 16);
    }
}
