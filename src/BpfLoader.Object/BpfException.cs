namespace BpfLoader.Object;

/// <summary>
/// Every error the loader raises derives from this, in either assembly: malformed objects and failed
/// relocations here, failed syscalls in BpfLoader's <c>BpfLoader.Errors</c>. It lives in the object
/// assembly because the kernel assembly depends on this one, never the other way.
/// </summary>
public class BpfException : Exception
{
    /// <summary>An error with the given message.</summary>
    public BpfException(string message) : base(message) { }
    /// <summary>An error with the given message, caused by <paramref name="inner"/>.</summary>
    public BpfException(string message, Exception inner) : base(message, inner) { }
}
