using System.Collections.Generic;
using System.Text;

namespace BpfBuild;

/// <summary>Reads the make-style dependency file that clang writes with -MD.</summary>
public static class DependencyFile
{
    /// <summary>The prerequisites of the first rule: "obj: a.c b.h \\\n c.h".</summary>
    public static IEnumerable<string> Parse(string text)
    {
        int colon = text.IndexOf(": ", System.StringComparison.Ordinal);
        if (colon < 0) yield break;
        var current = new StringBuilder();
        for (int i = colon + 2; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\\' && i + 1 < text.Length)
            {
                char next = text[i + 1];
                if (next == '\n' || next == '\r') { i++; continue; }
                if (next == ' ') { current.Append(' '); i++; continue; }
            }
            if (char.IsWhiteSpace(c))
            {
                if (current.Length > 0) { yield return current.ToString(); current.Clear(); }
                continue;
            }
            current.Append(c);
        }
        if (current.Length > 0) yield return current.ToString();
    }
}
