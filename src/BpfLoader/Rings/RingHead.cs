namespace BpfLoader.Rings;

/// <summary>What a ring buffer holds at its consumer position, within a producer position read before.</summary>
internal enum RingHead
{
    /// <summary>Nothing: the consumer reached that producer position.</summary>
    Empty,

    /// <summary>A record its producer reserved and still writes: nothing behind it can be read yet.</summary>
    Busy,

    /// <summary>A committed record, readable.</summary>
    Ready,
}
