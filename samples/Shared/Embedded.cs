using System.Text;

namespace BpfSamples;

/// <summary>Helpers every sample uses: the embedded BPF object, C strings.</summary>
public static class Embedded
{
    /// <summary>The BPF object the build embedded (BpfSource x.bpf.c becomes the resource x.bpf.o).</summary>
    public static byte[] Read(string name)
    {
        using Stream s = typeof(Embedded).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"resource {name} is not embedded");
        using var copy = new MemoryStream();
        s.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The NUL-terminated string at the start of a fixed buffer.</summary>
    public static string CString(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }
}
