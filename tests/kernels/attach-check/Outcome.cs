namespace AttachCheck;

/// <summary>What one attach type's check came to.</summary>
internal enum Outcome
{
    /// <summary>Loaded, attached, and the hook counted the calls made to it.</summary>
    Pass,

    /// <summary>A load, attach or count that went wrong.</summary>
    Fail,

    /// <summary>The kernel has no such hook at all.</summary>
    Skip,
}
