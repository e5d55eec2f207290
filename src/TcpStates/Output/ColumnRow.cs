using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TcpStates.Output;

/// <summary>
/// The columns of one event (the default layout and -w) written in one pass from tables: IPv4 octets, hex and
/// decimal digit pairs, state names already padded. A padded field is written over a run of spaces stored first,
/// so no field is measured twice. It takes the rows nearly every host prints (a command name of printable ASCII,
/// states the kernel names); any other row is left to <see cref="EventPrinter"/>'s general path, which prints
/// the same bytes field by field.
/// </summary>
internal static class ColumnRow
{
    /// <summary>Room the destination must have: the longest row this writes (a wide IPv6 row with a 20-digit MS
    /// is under 220 bytes) plus the whole vectors it stores past a field's end.</summary>
    public const int Room = 320;

    private const int SkAddrWidth = 16, PidWidth = 5, PortWidth = 5, StateWidth = 11;
    private const int CommWidth = 10, WideCommWidth = 16, AddressWidth = 15, WideAddressWidth = 39;

    /// <summary>The digits of each octet in the low three bytes (spaces after them), the count in the top one.</summary>
    private static readonly uint[] Octets = MakeOctets();

    /// <summary>The two lowercase hex digits of each byte, as a little-endian pair.</summary>
    private static readonly ushort[] HexPairs = MakeHexPairs();

    /// <summary>The two decimal digits of 0-99, as a little-endian pair.</summary>
    private static readonly ushort[] DecimalPairs = MakeDecimalPairs();

    private static readonly uint[] PowersOf10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

    /// <summary>States 1-12: the name padded with spaces to 16 bytes, then (the 17th byte of each) its length.</summary>
    private static readonly byte[] States = MakeStates();

    /// <summary>
    /// Writes the row from SKADDR to MS (MS padded to <paramref name="msWidth"/>), without the newline, into
    /// <paramref name="destination"/> (at least <see cref="Room"/> bytes); returns its length, or -1 when the row
    /// needs the general path (nothing meaningful was written then).
    /// </summary>
    public static int Write(Span<byte> destination, in TcpStateEvent e, bool wide, int msWidth)
    {
        if (destination.Length < Room || (uint)(e.OldState - 1) >= 12 || (uint)(e.NewState - 1) >= 12)
            return -1;
        ref byte start = ref MemoryMarshal.GetReference(destination);
        ref byte at = ref start;

        at = ref Padded(ref at, WriteHex(ref Spaces16(ref at), e.SkAddr), SkAddrWidth);
        at = ref Padded(ref at, WriteUInt(ref Spaces8(ref at), e.Pid), PidWidth);
        int comm = WriteName(ref at, e, wide ? WideCommWidth : CommWidth);
        if (comm < 0)
            return -1;
        at = ref Unsafe.Add(ref at, comm);
        at = (byte)' ';
        at = ref Unsafe.Add(ref at, 1);
        bool ipv4 = e.IsIPv4;
        if (wide)
        {
            Unsafe.WriteUnaligned(ref at, (ushort)(ipv4 ? '4' | ' ' << 8 : '6' | ' ' << 8));
            at = ref Unsafe.Add(ref at, 2);
            at = (byte)' ';
            at = ref Unsafe.Add(ref at, 1);
        }
        int addressWidth = wide ? WideAddressWidth : AddressWidth;
        at = ref Padded(ref at, WriteAddress(ref at, e.SourceAddress, ipv4, addressWidth), addressWidth);
        at = ref Padded(ref at, WriteUInt(ref Spaces8(ref at), e.SourcePort), PortWidth);
        at = ref Padded(ref at, WriteAddress(ref at, e.DestinationAddress, ipv4, addressWidth), addressWidth);
        at = ref Padded(ref at, WriteUInt(ref Spaces8(ref at), e.DestinationPort), PortWidth);
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

    /// <summary>%x.</summary>
    private static int WriteHex(ref byte at, ulong value)
    {
        int count = value == 0 ? 1 : (67 - BitOperations.LeadingZeroCount(value)) / 4;
        ref byte end = ref Unsafe.Add(ref at, count);
        while (value >= 0x100)
        {
            end = ref Unsafe.Subtract(ref end, 2);
            Unsafe.WriteUnaligned(ref end, HexPairs[(int)(value & 0xff)]);
            value >>= 8;
        }
        if (value >= 0x10)
            Unsafe.WriteUnaligned(ref Unsafe.Subtract(ref end, 2), HexPairs[(int)value]);
        else
            Unsafe.Subtract(ref end, 1) = (byte)HexPairs[(int)value << 4 | (int)value];   // a pair "xx": its first byte
        return count;
    }

    /// <summary>%u.</summary>
    private static int WriteUInt(ref byte at, uint value)
    {
        int bits = 32 - BitOperations.LeadingZeroCount(value | 1);
        int guess = bits * 1233 >> 12;   // log10(2^bits), never more than one short
        int count = Math.Max(1, guess + (value >= PowersOf10[guess] ? 1 : 0));
        ref byte end = ref Unsafe.Add(ref at, count);
        while (value >= 100)
        {
            uint rest = value / 100;
            end = ref Unsafe.Subtract(ref end, 2);
            Unsafe.WriteUnaligned(ref end, DecimalPairs[(int)(value - rest * 100)]);
            value = rest;
        }
        if (value >= 10)
            Unsafe.WriteUnaligned(ref Unsafe.Subtract(ref end, 2), DecimalPairs[(int)value]);
        else
            Unsafe.Subtract(ref end, 1) = (byte)('0' + value);
        return count;
    }

    /// <summary>%.3f of a time in microseconds as milliseconds (as <see cref="AsciiNumber.WriteMilliseconds"/>);
    /// -1 past 2^32 ms (the general path prints those).</summary>
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
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref tail, 2), DecimalPairs[(int)(fraction - hundreds * 100)]);
        return n + 4;
    }

    /// <summary>
    /// The command name cut and padded to <paramref name="width"/> (10 or 16), when it is printable ASCII without
    /// a backslash (printed as it is); -1 for any other name (escaped by the general path).
    /// </summary>
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

    /// <summary>The address over <paramref name="width"/> spaces (written first); its length.</summary>
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
            uint text = Octets[Unsafe.Add(ref octets, i)];
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, n), (text & 0xffffff) | 0x20u << 24);
            n += (int)(text >> 24);
            if (i < 3)
                Unsafe.Add(ref at, n++) = (byte)'.';
        }
        return n;
    }

    /// <summary>A state (1-12) over 16 bytes; its name's length.</summary>
    private static int WriteState(ref byte at, int state)
    {
        ref byte entry = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(States), (state - 1) * 17);
        Vector128.LoadUnsafe(ref entry).StoreUnsafe(ref at);
        return Unsafe.Add(ref entry, 16);
    }

    private static uint[] MakeOctets()
    {
        var table = new uint[256];
        for (int i = 0; i < 256; i++)
        {
            string s = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            uint text = 0x202020;
            for (int c = 0; c < s.Length; c++)
                text = text & ~(0xffu << (8 * c)) | (uint)s[c] << (8 * c);
            table[i] = text | (uint)s.Length << 24;
        }
        return table;
    }

    private static ushort[] MakeHexPairs()
    {
        const string digits = "0123456789abcdef";
        var table = new ushort[256];
        for (int i = 0; i < 256; i++)
            table[i] = (ushort)(digits[i >> 4] | digits[i & 0xf] << 8);
        return table;
    }

    private static ushort[] MakeDecimalPairs()
    {
        var table = new ushort[100];
        for (int i = 0; i < 100; i++)
            table[i] = (ushort)('0' + i / 10 | ('0' + i % 10) << 8);
        return table;
    }

    private static byte[] MakeStates()
    {
        var table = new byte[12 * 17];
        Span<byte> name = stackalloc byte[TcpState.MaxLength];
        for (int state = 1; state <= 12; state++)
        {
            Span<byte> entry = table.AsSpan((state - 1) * 17, 17);
            entry[..16].Fill((byte)' ');
            int length = TcpState.Write(state, name);
            name[..length].CopyTo(entry);
            entry[16] = (byte)length;
        }
        return table;
    }
}
