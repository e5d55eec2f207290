namespace TcpStates.Bench.Harness;

/// <summary>How to start this program again as a child (apphost, or dotnet + dll).</summary>
internal static class SelfCommand
{
    private static readonly string ProcessPath = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");

    private static bool ViaDotnet => Path.GetFileNameWithoutExtension(ProcessPath) == "dotnet";

    public static string Executable => ProcessPath;

    public static IReadOnlyList<string> LeadingArguments =>
        ViaDotnet ? [Path.Combine(AppContext.BaseDirectory, "TcpStates.Bench.dll")] : [];
}
