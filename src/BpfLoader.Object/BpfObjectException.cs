namespace BpfLoader.Object;

/// <summary>The object file (ELF, BTF, .BTF.ext) is not one we can read.</summary>
public class BpfObjectException : BpfException
{
    /// <summary>A damaged or unsupported object, described by <paramref name="message"/>.</summary>
    public BpfObjectException(string message) : base(message) { }
    /// <summary>A damaged or unsupported object, described by <paramref name="message"/>, found through <paramref name="inner"/>.</summary>
    public BpfObjectException(string message, Exception inner) : base(message, inner) { }
}
