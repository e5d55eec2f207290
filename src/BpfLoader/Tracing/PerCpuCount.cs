using BpfLoader.Maps;
using BpfLoader.Object.Uapi;

namespace BpfLoader.Tracing;

/// <summary>A counter kept by a program in a one-entry per-CPU array of u64 (key 0), summed over the CPUs.</summary>
internal static class PerCpuCount
{
    /// <summary>The sum over every possible CPU; 0 for no map or no entry. Allocates nothing.</summary>
    public static ulong Sum(BpfMap? map)
    {
        if (map is null) return 0;
        Span<ulong> perCpu = stackalloc ulong[BpfMap.PossibleCpuCount];
        if (!map.TryLookupPerCpu(0u, perCpu)) return 0;
        ulong total = 0;
        foreach (ulong n in perCpu) total += n;
        return total;
    }

    /// <summary>Throws unless <paramref name="map"/> is a per-CPU array of u64 values, naming <paramref name="role"/>.</summary>
    public static void Check(BpfMap map, string role)
    {
        if (map.Type != BpfMapType.PercpuArray || map.ValueSize != sizeof(ulong))
            throw new ArgumentException($"map '{map.Name}' ({role}) must be a per-CPU array of u64, not a {map.Type} of {map.ValueSize}-byte values", role);
    }
}
