using BpfLoader.Object;

namespace BpfLoader.Kernel;

/// <summary>Addresses of kernel symbols from /proc/kallsyms, for untyped <c>__ksym</c> externs.</summary>
public static class KernelSymbols
{
    /// <summary>Where the kernel lists its symbols.</summary>
    public const string Path = "/proc/kallsyms";

    /// <summary>
    /// The addresses of <paramref name="names"/> (those found; the first of several entries, as libbpf).
    /// An address of 0 means the kernel hides addresses from us (kptr_restrict), which is an error.
    /// </summary>
    public static Dictionary<string, ulong> Find(IReadOnlyCollection<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var found = new Dictionary<string, ulong>(StringComparer.Ordinal);
        if (names.Count == 0) return found;
        var wanted = new HashSet<string>(names, StringComparer.Ordinal);
        try
        {
            foreach (string line in File.ReadLines(Path))
            {
                // "ffffffff81000000 T _text" or "... t name\t[module]"
                string[] f = line.Split([' ', '\t'], 4, StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 3 || !wanted.Contains(f[2]) || found.ContainsKey(f[2])) continue;
                ulong address = Convert.ToUInt64(f[0], 16);
                if (address == 0)
                    throw new BpfException($"{Path} shows kernel symbol '{f[2]}' at address 0: kernel addresses are hidden (kernel.kptr_restrict), run as root");
                found[f[2]] = address;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BpfException($"reading {Path}: {e.Message}", e);
        }
        return found;
    }
}
