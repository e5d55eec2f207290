using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace BpfBuild;

/// <summary>Finds a clang that can target BPF: the user's choice, then <c>clang</c>, then versioned names.</summary>
public static class ClangLocator
{
    public static IEnumerable<string> Candidates(string userChoice)
    {
        if (!string.IsNullOrWhiteSpace(userChoice))
        {
            yield return userChoice;
            yield break;
        }
        yield return "clang";
        for (int v = 22; v >= 11; v--) yield return "clang-" + v;
    }

    public static string? Find(string userChoice)
    {
        string[] path = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(new[] { "/usr/bin", "/usr/local/bin" })
            .Distinct()
            .ToArray();
        foreach (string name in Candidates(userChoice))
        {
            if (name.Contains('/'))
            {
                if (File.Exists(name)) return Path.GetFullPath(name);
                continue;
            }
            foreach (string dir in path)
            {
                string full = Path.Combine(dir, name);
                if (File.Exists(full)) return full;
            }
        }
        return null;
    }
}
