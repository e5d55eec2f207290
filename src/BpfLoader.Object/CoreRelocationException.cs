namespace BpfLoader.Object;

/// <summary>A CO-RE relocation could not be resolved against the target BTF.</summary>
public class CoreRelocationException : BpfException
{
    /// <summary>A CO-RE relocation that cannot be resolved against the kernel's BTF, described by <paramref name="message"/>.</summary>
    public CoreRelocationException(string message) : base(message) { }
}
