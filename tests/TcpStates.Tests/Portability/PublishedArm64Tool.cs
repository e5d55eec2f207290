using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Portability;

/// <summary>
/// The linux-arm64 binary, cross-compiled here as the README says (`dotnet publish -r linux-arm64`),
/// published once per test run into artifacts/e2e-arm64 (or taken from TCPSTATES_ARM64_BIN when set).
/// </summary>
internal static class PublishedArm64Tool
{
    private static readonly Lazy<string> s_path = new(Publish, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Path => s_path.Value;

    private static string Publish()
    {
        string? given = Environment.GetEnvironmentVariable("TCPSTATES_ARM64_BIN");
        if (!string.IsNullOrEmpty(given)) return given;

        // After the x64 publish, never beside it: both build the same referenced projects.
        _ = PublishedTool.Path;
        return PublishedTool.Publish("linux-arm64", "e2e-arm64",
            " (the cross toolchain: apt-get install libc6-dev:arm64 libgcc-12-dev:arm64 binutils-aarch64-linux-gnu)");
    }
}
