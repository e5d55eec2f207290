namespace BpfLoader.Object.Tests.Spec;

/// <summary>
/// A test that checks our output against llvm-objdump's. Skipped, saying why, where llvm-objdump is not
/// installed; under CI=true it always runs, and a missing llvm-objdump is then a failure.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LlvmObjdumpFactAttribute : FactAttribute
{
    public LlvmObjdumpFactAttribute() => Skip = LlvmObjdump.SkipReason;
}

/// <summary>The <see cref="TheoryAttribute"/> of <see cref="LlvmObjdumpFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LlvmObjdumpTheoryAttribute : TheoryAttribute
{
    public LlvmObjdumpTheoryAttribute() => Skip = LlvmObjdump.SkipReason;
}

internal static class LlvmObjdump
{
    public static bool Installed =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Any(d => File.Exists(Path.Combine(d, "llvm-objdump")) || File.Exists(Path.Combine(d, "llvm-objdump-14")));

    public static string? SkipReason => Installed || TestObjects.InCi
        ? null
        : "llvm-objdump is not installed (apt-get install llvm); CI installs it, and there this test fails without it";

    /// <summary>Output of a run, or a failure: the attribute skipped the test unless llvm-objdump is there or CI wants it.</summary>
    public static T Require<T>(T? output) where T : class =>
        output ?? throw new Xunit.Sdk.XunitException("llvm-objdump is not installed (apt-get install llvm), and under CI=true this test must run");
}
