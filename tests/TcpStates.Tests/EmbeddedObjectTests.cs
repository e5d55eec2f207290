using System.Reflection;

namespace TcpStates.Tests;

public class EmbeddedObjectTests
{
    [Fact]
    public void The_tool_embeds_the_tcpstates_BPF_object()
    {
        Assembly tool = typeof(TcpStates.Program).Assembly;
        using Stream? s = tool.GetManifestResourceStream("tcpstates.bpf.o");
        Assert.NotNull(s);
        var head = new byte[20];
        s.ReadExactly(head);
        Assert.Equal(247, BitConverter.ToUInt16(head, 18)); // EM_BPF
    }
}
