using System.Text;
using TcpStates.Output;

namespace TcpStates.Tests.Output;

public class AsciiNumberTests
{
    /// <summary>Values where printf's rounding of the exact binary value matters (checked with Python's %).</summary>
    [Theory]
    [InlineData(0.0625, 3, "0.062")]          // an exact tie: to even
    [InlineData(0.0005, 3, "0.001")]          // just above the tie in binary
    [InlineData(1.0005, 3, "1.000")]          // just below the tie in binary
    [InlineData(281474976710656.0625, 3, "281474976710656.062")]
    [InlineData(18446744073709551.615, 3, "18446744073709552.000")]
    [InlineData(123456.789, 3, "123456.789")]
    [InlineData(1e-9, 6, "0.000000")]
    [InlineData(-1e-9, 6, "-0.000000")]
    [InlineData(-1.5, 6, "-1.500000")]
    [InlineData(0.0, 3, "0.000")]
    public void Fixed_point_rounds_as_printf(double value, int decimals, string expected)
    {
        Assert.Equal(expected, Fixed(value, decimals));
    }

    [Fact]
    public void Fixed_point_agrees_with_the_reference_for_random_values()
    {
        var random = new Random(12345);
        for (int i = 0; i < 20000; i++)
        {
            ulong micro = (ulong)random.NextInt64() >> random.Next(0, 63);
            double ms = micro / 1000.0;
            Assert.Equal(Printf.Format("%.3f", ms), Fixed(ms, 3));
            double seconds = ((double)micro - random.NextInt64(0, 1 << 30)) / 1000000;
            Assert.Equal(Printf.Format("%.6f", seconds), Fixed(seconds, 6));
        }
    }

    [Fact]
    public void Integers_are_decimal_and_lowercase_hex()
    {
        Span<byte> text = stackalloc byte[20];
        foreach (ulong value in new ulong[] { 0, 9, 10, 65535, uint.MaxValue, ulong.MaxValue, 0xffff9fd7e8192000 })
        {
            int n = AsciiNumber.WriteDecimal(value, text);
            Assert.Equal(Printf.Format("%d", value), Encoding.ASCII.GetString(text[..n]));
            n = AsciiNumber.WriteHex(value, text);
            Assert.Equal(Printf.Format("%x", value), Encoding.ASCII.GetString(text[..n]));
        }
    }

    [Fact]
    public void Integers_of_every_length_and_at_every_power_of_ten_are_printed_as_printf()
    {
        Span<byte> text = stackalloc byte[20];
        var values = new List<ulong> { 0, ulong.MaxValue };
        for (ulong p = 1; p <= 10_000_000_000_000_000_000UL; p *= 10)
        {
            values.AddRange([p - 1, p, p + 1]);
            if (p > ulong.MaxValue / 10) break;
        }
        var random = new Random(7);
        for (int i = 0; i < 20000; i++)
            values.Add((ulong)random.NextInt64() >> random.Next(0, 63));
        foreach (ulong value in values)
        {
            int n = AsciiNumber.WriteDecimal(value, text);
            Assert.Equal(Printf.Format("%d", value), Encoding.ASCII.GetString(text[..n]));
            n = AsciiNumber.WriteHex(value, text);
            Assert.Equal(Printf.Format("%x", value), Encoding.ASCII.GetString(text[..n]));
        }
    }

    /// <summary>The MS column's integer path prints what %.3f of the double prints, on both sides of its 2^43 switch.</summary>
    [Fact]
    public void Milliseconds_from_microseconds_are_printed_as_the_double_would_be()
    {
        Span<byte> text = stackalloc byte[64];
        var values = new List<ulong> { 0, 1, 999, 1000, 1001, 1373, 176042, (1UL << 43) - 1, 1UL << 43, (1UL << 43) + 1, ulong.MaxValue };
        var random = new Random(99);
        for (int i = 0; i < 20000; i++)
            values.Add((ulong)random.NextInt64() >> random.Next(0, 63));
        foreach (ulong micros in values)
        {
            int n = AsciiNumber.WriteMilliseconds(micros, text);
            Assert.Equal(Printf.Format("%.3f", micros / 1000.0), Encoding.ASCII.GetString(text[..n]));
        }
    }

    private static string Fixed(double value, int decimals)
    {
        Span<byte> text = stackalloc byte[64];
        int n = AsciiNumber.WriteFixed(value, decimals, text);
        return Encoding.ASCII.GetString(text[..n]);
    }
}
