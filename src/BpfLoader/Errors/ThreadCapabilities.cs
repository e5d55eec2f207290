namespace BpfLoader.Errors;

/// <summary>
/// The calling thread's effective capabilities (capabilities are per thread), as
/// /proc/thread-self/status states them. Read on demand: only error paths ask.
/// </summary>
public static class ThreadCapabilities
{
    internal const int CapSysAdmin = 21, CapPerfmon = 38, CapBpf = 39;

    /// <summary>
    /// False when this thread lacks what tracing with BPF needs (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN);
    /// true when it has them, or when that cannot be told (then a refusal has some other reason).
    /// </summary>
    public static bool MayTrace => ReadEffective() is not ulong caps
        || Has(caps, CapSysAdmin) || (Has(caps, CapBpf) && Has(caps, CapPerfmon));

    /// <summary>
    /// What this thread lacks of CAP_BPF and CAP_PERFMON ("CAP_BPF and CAP_PERFMON", "CAP_PERFMON", ...),
    /// or null when it may trace (or that cannot be told): for a message naming the missing one.
    /// </summary>
    public static string? MissingForTracing()
    {
        if (MayTrace || ReadEffective() is not ulong caps) return null;
        var missing = new List<string>(2);
        if (!Has(caps, CapBpf)) missing.Add("CAP_BPF");
        if (!Has(caps, CapPerfmon)) missing.Add("CAP_PERFMON");
        return string.Join(" and ", missing);
    }

    private static bool Has(ulong caps, int cap) => (caps & (1UL << cap)) != 0;

    private static ulong? ReadEffective()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/thread-self/status"))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal)
                    && ulong.TryParse(line.AsSpan(7).Trim(), System.Globalization.NumberStyles.HexNumber, null, out ulong caps))
                    return caps;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}
