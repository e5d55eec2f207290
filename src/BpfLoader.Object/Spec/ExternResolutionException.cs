namespace BpfLoader.Object.Spec;

/// <summary>A non-weak <c>__ksym</c> or <c>__kconfig</c> extern the running kernel does not provide.</summary>
public class ExternResolutionException : BpfException
{
    /// <summary>The extern's name.</summary>
    public string ExternName { get; }

    /// <summary>An extern <paramref name="externName"/> that could not be resolved, and why.</summary>
    public ExternResolutionException(string externName, string message) : base(message)
    {
        ExternName = externName;
    }
}
