using System.Text;
using TcpStates.Output;

namespace TcpStates.Tests.Output;

public class CommandNameTests
{
    /// <summary>Every single byte inside a name: printable ASCII passes (the copy-through path) but the backslash, which is
    /// doubled; controls, DEL and bytes that are not UTF-8 alone are \xNN (the per-character path).</summary>
    [Fact]
    public void Every_byte_is_passed_doubled_or_escaped_as_the_rules_say()
    {
        Span<byte> escaped = stackalloc byte[CommandName.MaxEscapedLength];
        for (int b = 1; b < 256; b++)
        {
            byte[] name = [(byte)'a', (byte)'b', (byte)b, (byte)'c'];
            string expected = b == '\\' ? "ab\\\\c"
                : b is >= 0x20 and < 0x7f ? "ab" + (char)b + "c"
                : $"ab\\x{b:x2}c";
            int n = CommandName.WriteEscaped(name, escaped);
            Assert.Equal(expected, Encoding.Latin1.GetString(escaped[..n]));
        }
    }

    [Fact]
    public void A_full_length_plain_name_is_copied_whole()
    {
        Span<byte> escaped = stackalloc byte[CommandName.MaxEscapedLength];
        byte[] name = "0123456789abcdef"u8.ToArray();
        int n = CommandName.WriteEscaped(name, escaped);
        Assert.Equal("0123456789abcdef", Encoding.ASCII.GetString(escaped[..n]));
    }
}
