namespace BpfLoader.Rings;

/// <summary>A ready record that a round of <see cref="MergedRingBufferReader"/> found walking a ring (<see cref="RingBufferCursor.Walk"/>).</summary>
internal unsafe struct RingRecord
{
    /// <summary>The u64 time in it, until the round makes it the time that places it (the earliest of its own and
    /// those of the records after it in its ring).</summary>
    public ulong Time;

    /// <summary>Where the ring's next ready record starts (past discarded ones), or where the walk stopped.</summary>
    public ulong Next;

    /// <summary>Its body in place, or null when it runs past the end of a data area mapped once (see
    /// <see cref="RingBufferCursor.Unwrapped"/>).</summary>
    public byte* Body;

    /// <summary>Its length.</summary>
    public int Size;

    /// <summary>Its ring's index in the merge.</summary>
    public int Ring;
}
