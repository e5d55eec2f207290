using System.Reflection;

namespace TcpStates;

internal static class Program
{
    private static int Main(string[] args)
    {
        using Stream? obj = Assembly.GetExecutingAssembly().GetManifestResourceStream("tcpstates.bpf.o");
        Console.WriteLine($"tcpstates: embedded BPF object {obj?.Length ?? 0} bytes");
        return 0;
    }
}
