namespace TcpStates.Tests.EndToEnd;

/// <summary>A theory that loads BPF programs and makes real traffic: skips as <see cref="KernelFactAttribute"/> does.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class KernelTheoryAttribute : TheoryAttribute
{
    public KernelTheoryAttribute()
    {
        if (!Host.IsRoot && !Host.IsCi)
            Skip = "needs root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN): run the tests as root";
    }
}
