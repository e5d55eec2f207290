using System.Reflection;

namespace BpfLoader.Tests;

public class EmbeddedObjectTests
{
    [Fact]
    public void Test_programs_are_compiled_and_embedded_as_BPF_ELF()
    {
        using Stream? s = Assembly.GetExecutingAssembly().GetManifestResourceStream("minimal.bpf.o");
        Assert.NotNull(s);
        var head = new byte[20];
        s.ReadExactly(head);
        Assert.Equal(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }, head[..4]);
        Assert.Equal(247, BitConverter.ToUInt16(head, 18)); // EM_BPF
    }
}
