namespace BpfLoader.Interop;

/// <summary>
/// map_name / prog_name: at most BPF_OBJ_NAME_LEN - 1 = 15 characters of [A-Za-z0-9_.], NUL-terminated.
/// The kernel rejects anything else with EINVAL, so names from a C object are sanitised rather than refused.
/// </summary>
internal static class ObjectName
{
    public const int Length = 16;

    public static string Sanitise(string? name)
    {
        if (string.IsNullOrEmpty(name))
            return string.Empty;
        int n = Math.Min(name.Length, Length - 1);
        return string.Create(n, name, static (dst, src) =>
        {
            for (int i = 0; i < dst.Length; i++)
            {
                char c = src[i];
                dst[i] = char.IsAsciiLetterOrDigit(c) || c is '_' or '.' ? c : '_';
            }
        });
    }

    /// <summary>Writes the sanitised name into a 16-byte attr field (the rest stays zero).</summary>
    public static void Write(string? name, Span<byte> field)
    {
        string clean = Sanitise(name);
        for (int i = 0; i < clean.Length; i++)
            field[i] = (byte)clean[i];
    }

    /// <summary>Reads a NUL-terminated name back from an info struct.</summary>
    public static string Read(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return System.Text.Encoding.ASCII.GetString(end < 0 ? field : field[..end]);
    }
}
