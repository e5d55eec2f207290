using System.Globalization;
using System.Numerics;
using System.Text;

namespace TcpStates.Tests.Output;

/// <summary>
/// A tiny reference printf (Python's % operator) for the conversions the original uses: %s %d %x %f with
/// '-', width and precision. Independent of the tool's code: %f goes through BigInteger on the exact binary value.
/// </summary>
public static class Printf
{
    public static string Format(string format, params object[] args)
    {
        var result = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                result.Append(format[i]);
                continue;
            }
            i++;
            bool left = false;
            if (format[i] == '-')
            {
                left = true;
                i++;
            }
            int width = 0;
            while (char.IsAsciiDigit(format[i]))
                width = width * 10 + (format[i++] - '0');
            int precision = -1;
            if (format[i] == '.')
            {
                precision = 0;
                i++;
                while (char.IsAsciiDigit(format[i]))
                    precision = precision * 10 + (format[i++] - '0');
            }
            object arg = args[next++];
            string text = format[i] switch
            {
                's' => Cut(Convert.ToString(arg, CultureInfo.InvariantCulture)!, precision),
                'd' => Convert.ToString(arg, CultureInfo.InvariantCulture)!,
                'x' => Convert.ToUInt64(arg, CultureInfo.InvariantCulture).ToString("x", CultureInfo.InvariantCulture),
                'f' => Fixed(Convert.ToDouble(arg, CultureInfo.InvariantCulture), precision < 0 ? 6 : precision),
                _ => throw new FormatException(format),
            };
            int length = Length(text);
            string padding = new(' ', Math.Max(0, width - length));
            result.Append(left ? text + padding : padding + text);
        }
        if (next != args.Length)
            throw new FormatException("unused arguments");
        return result.ToString();
    }

    /// <summary>Characters as Python counts them: code points.</summary>
    private static int Length(string s) => s.EnumerateRunes().Count();

    private static string Cut(string s, int precision) =>
        precision < 0 ? s : string.Concat(s.EnumerateRunes().Take(precision).Select(r => r.ToString()));

    /// <summary>The exact binary value rounded to <paramref name="decimals"/> places, ties to even (glibc).</summary>
    private static string Fixed(double value, int decimals)
    {
        bool negative = double.IsNegative(value);
        long bits = BitConverter.DoubleToInt64Bits(Math.Abs(value));
        int exponent = (int)((bits >> 52) & 0x7ff);
        BigInteger mantissa = bits & ((1L << 52) - 1);
        if (exponent != 0)
            mantissa += BigInteger.One << 52;
        int power = (exponent == 0 ? 1 : exponent) - 1075;
        BigInteger numerator = mantissa * BigInteger.Pow(10, decimals);
        BigInteger denominator = BigInteger.One;
        if (power >= 0)
            numerator <<= power;
        else
            denominator <<= -power;
        BigInteger quotient = BigInteger.DivRem(numerator, denominator, out BigInteger remainder);
        int compare = (remainder * 2).CompareTo(denominator);
        if (compare > 0 || (compare == 0 && !quotient.IsEven))
            quotient++;
        string digits = quotient.ToString(CultureInfo.InvariantCulture).PadLeft(decimals + 1, '0');
        string text = decimals == 0 ? digits : digits[..^decimals] + "." + digits[^decimals..];
        return negative ? "-" + text : text;
    }
}
