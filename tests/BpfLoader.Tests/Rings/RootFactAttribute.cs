namespace BpfLoader.Tests.Rings;

/// <summary>
/// A test that needs root (perf_event_open, bpf). Skipped with a reason otherwise, except under
/// CI=true, where it runs and fails: CI must never silently skip kernel tests.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (Environment.UserName != "root" && !ci)
            Skip = "needs root (perf_event_open and bpf); run as root, or with CI=true to force";
    }
}
