namespace TcpStates.Output;

/// <summary>Numbers as printf prints them (%d, %x, %.Nf), written as ASCII into a span.</summary>
public static class AsciiNumber
{
    public static int WriteDecimal(ulong value, Span<byte> destination)
    {
        Span<byte> digits = stackalloc byte[20];
        int count = 0;
        do
        {
            digits[^++count] = (byte)('0' + (int)(value % 10));
            value /= 10;
        }
        while (value != 0);
        digits[^count..].CopyTo(destination);
        return count;
    }

    /// <summary>Lowercase hex without prefix or leading zeros, as %x.</summary>
    public static int WriteHex(ulong value, Span<byte> destination)
    {
        Span<byte> digits = stackalloc byte[16];
        int count = 0;
        do
        {
            digits[^++count] = (byte)"0123456789abcdef"[(int)(value & 0xf)];
            value >>= 4;
        }
        while (value != 0);
        digits[^count..].CopyTo(destination);
        return count;
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
