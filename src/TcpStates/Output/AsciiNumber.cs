using System.Numerics;

namespace TcpStates.Output;

/// <summary>Numbers as printf prints them (%d, %x, %.Nf), written as ASCII into a span.</summary>
public static class AsciiNumber
{
    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    /// <summary>Every number below 100 as two digits: half the divisions of one digit at a time.</summary>
    private static ReadOnlySpan<byte> DigitPairs =>
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    /// <summary>The number of decimal digits of <paramref name="value"/> (1 for 0).</summary>
    public static int DecimalLength(ulong value)
    {
        int length = 1;
        while (value >= 10000)
        {
            value /= 10000;
            length += 4;
        }
        return value >= 1000 ? length + 3 : value >= 100 ? length + 2 : value >= 10 ? length + 1 : length;
    }

    public static int WriteDecimal(ulong value, Span<byte> destination)
    {
        // Written in place from the last digit back: no scratch buffer, no copy.
        int count = DecimalLength(value);
        Span<byte> digits = destination[..count];
        int i = count;
        while (value >= 100)
        {
            ulong pair = value % 100;
            value /= 100;
            digits[--i] = DigitPairs[(int)pair * 2 + 1];
            digits[--i] = DigitPairs[(int)pair * 2];
        }
        if (value >= 10)
        {
            digits[--i] = DigitPairs[(int)value * 2 + 1];
            digits[--i] = DigitPairs[(int)value * 2];
        }
        else
        {
            digits[--i] = (byte)('0' + (int)value);
        }
        return count;
    }

    /// <summary>Lowercase hex without prefix or leading zeros, as %x.</summary>
    public static int WriteHex(ulong value, Span<byte> destination)
    {
        int count = value == 0 ? 1 : (67 - BitOperations.LeadingZeroCount(value)) / 4;
        Span<byte> digits = destination[..count];
        for (int i = count - 1; i >= 0; i--)
        {
            digits[i] = HexDigits[(int)(value & 0xf)];
            value >>= 4;
        }
        return count;
    }

    /// <summary>
    /// %.3f of <paramref name="micros"/> / 1000.0, as the MS column prints a time in microseconds: exactly what
    /// <see cref="WriteFixed"/> prints for that double, in integers. Below 2^43 µs the double is within far less
    /// than half a thousandth of the exact quotient, so it rounds back to it; above, the double path is taken.
    /// </summary>
    public static int WriteMilliseconds(ulong micros, Span<byte> destination)
    {
        if (micros >= 1UL << 43)
            return WriteFixed(micros / 1000.0, 3, destination);
        ulong whole = micros / 1000;
        int fraction = (int)(micros - whole * 1000);
        int n = WriteDecimal(whole, destination);
        Span<byte> tail = destination.Slice(n, 4);
        tail[0] = (byte)'.';
        tail[1] = (byte)('0' + fraction / 100);
        tail[2] = DigitPairs[fraction % 100 * 2];
        tail[3] = DigitPairs[fraction % 100 * 2 + 1];
        return n + 4;
    }

    /// <summary>
    /// %.6f of <paramref name="micros"/> / 1e6 as a double, as the TIME(s) column prints a difference of timestamps
    /// in microseconds: exactly what <see cref="WriteFixed"/> prints for that double, in integers. Below 2^43 µs the
    /// double is within far less than half a millionth of the exact quotient, so it rounds back to it; above, the
    /// double path is taken.
    /// </summary>
    public static int WriteMicrosAsSeconds(long micros, Span<byte> destination)
    {
        ulong magnitude = micros < 0 ? (ulong)-micros : (ulong)micros;
        if (micros == long.MinValue || magnitude >= 1UL << 43)
            return WriteFixed(micros / 1e6, 6, destination);
        int n = 0;
        if (micros < 0)
            destination[n++] = (byte)'-';
        ulong whole = magnitude / 1000000;
        uint fraction = (uint)(magnitude - whole * 1000000);
        n += WriteDecimal(whole, destination[n..]);
        Span<byte> tail = destination.Slice(n, 7);
        tail[0] = (byte)'.';
        for (int i = 6; i >= 1; i--)
        {
            tail[i] = (byte)('0' + fraction % 10);
            fraction /= 10;
        }
        return n + 7;
    }

    /// <summary>
    /// %.Nf (N at most 9) of a finite double, exactly as glibc prints it: the binary value rounded to N decimals,
    /// ties to even. Done in integers because .NET's "F" rounds ties away from zero.
    /// </summary>
    public static int WriteFixed(double value, int decimals, Span<byte> destination)
    {
        if (!double.IsFinite(value) || Math.Abs(value) >= 18446744073709551616.0 || decimals is < 0 or > 9)
            throw new ArgumentOutOfRangeException(nameof(value), "only finite values below 2^64 and 0-9 decimals");

        int n = 0;
        if (double.IsNegative(value))
        {
            destination[n++] = (byte)'-';
            value = -value;
        }

        ulong scale = 1;
        for (int i = 0; i < decimals; i++)
            scale *= 10;

        // value = mantissa * 2^exponent exactly.
        long bits = BitConverter.DoubleToInt64Bits(value);
        int biased = (int)(bits >> 52) & 0x7ff;
        ulong mantissa = (ulong)bits & 0xf_ffff_ffff_ffffUL;
        int exponent;
        if (biased == 0)
            exponent = -1074;
        else
        {
            mantissa |= 1UL << 52;
            exponent = biased - 1075;
        }

        UInt128 scaled; // value * 10^decimals, rounded to an integer
        if (exponent >= 0)
            scaled = ((UInt128)mantissa << exponent) * scale;
        else
        {
            UInt128 product = (UInt128)mantissa * scale;
            int shift = -exponent;
            if (shift >= 127)
                scaled = 0; // below 2^-74: rounds to zero whatever the decimals
            else
            {
                scaled = product >> shift;
                UInt128 remainder = product - (scaled << shift);
                UInt128 half = (UInt128)1 << (shift - 1);
                if (remainder > half || (remainder == half && (scaled & 1) == 1))
                    scaled++;
            }
        }

        UInt128 whole = scaled / scale;
        ulong fraction = (ulong)(scaled % scale);
        n += WriteDecimal((ulong)whole, destination[n..]);
        if (decimals > 0)
        {
            destination[n++] = (byte)'.';
            for (int i = decimals - 1; i >= 0; i--)
            {
                destination[n + i] = (byte)('0' + (int)(fraction % 10));
                fraction /= 10;
            }
            n += decimals;
        }
        return n;
    }
}
