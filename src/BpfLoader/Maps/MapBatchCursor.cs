namespace BpfLoader.Maps;

/// <summary>
/// Where a batch walk over one map stands (the kernel's opaque in/out batch token): made once per walk,
/// so that each <see cref="BpfMap.LookupBatch(MapBatchCursor, Span{byte}, Span{byte})"/> call allocates nothing.
/// </summary>
public sealed class MapBatchCursor
{
    /// <summary>
    /// A cursor at the start of <paramref name="map"/>. The token is a key for arrays and a bucket
    /// index (4 bytes) for hash maps: it holds whichever is larger.
    /// </summary>
    public MapBatchCursor(BpfMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        Map = map;
        Token = new byte[Math.Max(map.KeySize, sizeof(uint))];
    }

    /// <summary>The map this cursor walks.</summary>
    public BpfMap Map { get; }

    /// <summary>True once the kernel said the walk has reached the end (ENOENT): further calls return 0.</summary>
    public bool IsDone { get; internal set; }

    internal byte[] Token { get; }

    internal bool Started { get; set; }

    /// <summary>Back to the start of the map, for another walk.</summary>
    public void Reset()
    {
        Started = false;
        IsDone = false;
        Array.Clear(Token);
    }
}
