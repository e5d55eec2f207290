using System.Net;
using System.Text;
using TcpStates.Output;

namespace TcpStates.Tests.Output;

public class AddressTextTests
{
    /// <summary>What glibc's inet_ntop prints (checked with Python's socket.inet_ntop, which calls it).</summary>
    [Theory]
    [InlineData("00000000000000000000000000000000", "::")]
    [InlineData("00000000000000000000000000000001", "::1")]
    [InlineData("00010000000000000000000000000000", "1::")]
    [InlineData("00010000000000020000000000000003", "1:0:0:2::3")]
    [InlineData("00010000000000020000000000030004", "1::2:0:0:3:4")]
    [InlineData("00010000000200030004000500060007", "1:0:2:3:4:5:6:7")]
    [InlineData("00000000000000000000ffff01020304", "::ffff:1.2.3.4")]
    [InlineData("00000000000000000000000001020304", "::1.2.3.4")]
    [InlineData("00000000000000000000000000020003", "::0.2.0.3")]
    [InlineData("000000000000ffff0000010203040000", "::ffff:0:102:304:0")]
    [InlineData("20010db8000000000001000000000001", "2001:db8::1:0:0:1")]
    [InlineData("fe800000000000000000000000000001", "fe80::1")]
    [InlineData("0000000000000000000000000000ffff", "::ffff")]
    [InlineData("ffffffffffffffffffffffffffffffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    public void IPv6_is_printed_as_inet_ntop_prints_it(string hex, string expected)
    {
        Span<byte> text = stackalloc byte[AddressText.MaxLength];
        int n = AddressText.WriteIPv6(Convert.FromHexString(hex), text);
        Assert.Equal(expected, Encoding.ASCII.GetString(text[..n]));
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("127.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("100.66.100.185")]
    public void IPv4_is_dotted_decimal(string address)
    {
        Span<byte> text = stackalloc byte[AddressText.MaxLength];
        int n = AddressText.Write(IPAddress.Parse(address).GetAddressBytes(), ipv4: true, text);
        Assert.Equal(address, Encoding.ASCII.GetString(text[..n]));
    }

    [Fact]
    public void The_longest_address_fits_the_declared_maximum()
    {
        Span<byte> text = stackalloc byte[AddressText.MaxLength];
        byte[] worst = Convert.FromHexString("ffffffffffffffffffffffffffffffff");
        Assert.True(AddressText.WriteIPv6(worst, text) <= AddressText.MaxLength);
    }
}
