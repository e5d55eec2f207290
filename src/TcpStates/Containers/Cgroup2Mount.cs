namespace TcpStates.Containers;

/// <summary>Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts).</summary>
public static class Cgroup2Mount
{
    /// <summary>The first mount of cgroup2 at its root, from /proc/self/mountinfo; null when there is none.</summary>
    public static string? Find(string mountInfoPath = "/proc/self/mountinfo")
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(mountInfoPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return Parse(lines);
    }

    /// <summary>mountinfo(5): "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE SOURCE SUPEROPTIONS".</summary>
    public static string? Parse(IEnumerable<string> mountInfoLines)
    {
        foreach (string line in mountInfoLines)
        {
            string[] fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || separator < 0 || separator + 1 >= fields.Length)
                continue;
            if (fields[separator + 1] == "cgroup2" && fields[3] == "/")
                return Unescape(fields[4]);
        }
        return null;
    }

    /// <summary>mountinfo writes space, tab, newline and backslash in a path as \ooo.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var text = new System.Text.StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length
                && field[(i + 1)..(i + 4)].All(c => c is >= '0' and <= '7'))
            {
                text.Append((char)Convert.ToInt32(field[(i + 1)..(i + 4)], 8));
                i += 3;
            }
            else
                text.Append(field[i]);
        }
        return text.ToString();
    }
}
