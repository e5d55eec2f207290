namespace TcpStates.Tests.Portability;

/// <summary>The clang the build uses (clang, or the newest clang-N on PATH), for tests that compile C.</summary>
public static class HostClang
{
    public static string Find()
    {
        string[] path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (string name in new[] { "clang" }.Concat(Enumerable.Range(11, 12).Reverse().Select(v => $"clang-{v}")))
            foreach (string d in path)
                if (File.Exists(Path.Combine(d, name)))
                    return Path.Combine(d, name);
        throw new InvalidOperationException("clang not found on PATH (the build needs it too: apt-get install clang-14)");
    }
}
