using System.Globalization;
using System.Text;
using TcpStates.Output;

namespace TcpStates.Tests.Output;

/// <summary>
/// Reads the tool's output lines back into records, for each layout. Columns are split on blanks except the
/// command name, which is cut out by its fixed width (names may contain blanks); CSV is read per RFC 4180.
/// </summary>
public static class OutputLineParser
{
    public static bool IsHeader(string line) => line.Contains("SKADDR", StringComparison.Ordinal);

    public static OutputRecord Parse(string line, OutputFormat format, bool time, bool timestamp) =>
        format == OutputFormat.Csv ? ParseCsv(line, time, timestamp) : ParseColumns(line, format, time, timestamp);

    /// <summary>Every record of a whole output, header checked and skipped.</summary>
    public static IReadOnlyList<OutputRecord> ParseAll(string output, OutputFormat format, bool time, bool timestamp)
    {
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || !IsHeader(lines[0]))
            throw new FormatException("the output does not start with the header");
        return lines.Skip(1).Select(l => Parse(l, format, time, timestamp)).ToList();
    }

    private static OutputRecord ParseColumns(string line, OutputFormat format, bool time, bool timestamp)
    {
        int position = 0;
        string? clock = time ? NextWord(line, ref position) : null;
        double? seconds = timestamp ? Number(NextWord(line, ref position)) : null;
        ulong skaddr = ulong.Parse(NextWord(line, ref position), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        int pidStart = SkipBlanks(line, position);
        string pid = NextWord(line, ref position);
        // "%-5d " then the name in exactly 10 (16 when wide) characters, then a blank.
        int nameStart = pidStart + Math.Max(5, pid.Length) + 1;
        int width = format == OutputFormat.Wide ? 16 : 10;
        int nameEnd = nameStart;
        for (int i = 0; i < width; i++)
            nameEnd += char.IsSurrogatePair(line, nameEnd) ? 2 : 1;
        string name = line[nameStart..nameEnd].TrimEnd(' ');
        position = nameEnd;

        int? ip = format == OutputFormat.Wide ? int.Parse(NextWord(line, ref position), CultureInfo.InvariantCulture) : null;
        string laddr = NextWord(line, ref position);
        string lport = NextWord(line, ref position);
        string raddr = NextWord(line, ref position);
        string rport = NextWord(line, ref position);
        string oldState = NextWord(line, ref position);
        if (NextWord(line, ref position) != "->")
            throw new FormatException("no arrow: " + line);
        string newState = NextWord(line, ref position);
        string ms = NextWord(line, ref position);
        if (SkipBlanks(line, position) != line.Length)
            throw new FormatException("trailing text: " + line);
        return new OutputRecord(clock, seconds, skaddr, uint.Parse(pid, CultureInfo.InvariantCulture), name, ip, laddr,
            ushort.Parse(lport, CultureInfo.InvariantCulture), raddr, ushort.Parse(rport, CultureInfo.InvariantCulture),
            oldState, newState, Number(ms));
    }

    private static OutputRecord ParseCsv(string line, bool time, bool timestamp)
    {
        List<string> fields = CsvFields(line);
        int i = 0;
        string? clock = time ? fields[i++] : null;
        double? seconds = timestamp ? Number(fields[i++]) : null;
        if (fields.Count - i != 11)
            throw new FormatException($"{fields.Count} fields: " + line);
        return new OutputRecord(clock, seconds,
            ulong.Parse(fields[i], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            uint.Parse(fields[i + 1], CultureInfo.InvariantCulture), fields[i + 2],
            int.Parse(fields[i + 3], CultureInfo.InvariantCulture), fields[i + 4],
            ushort.Parse(fields[i + 5], CultureInfo.InvariantCulture), fields[i + 6],
            ushort.Parse(fields[i + 7], CultureInfo.InvariantCulture), fields[i + 8], fields[i + 9], Number(fields[i + 10]));
    }

    private static List<string> CsvFields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                    field.Append(line[++i]);
                else if (c == '"')
                    quoted = false;
                else
                    field.Append(c);
            }
            else if (c == '"')
                quoted = true;
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
                field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }

    private static double Number(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static int SkipBlanks(string line, int position)
    {
        while (position < line.Length && line[position] == ' ')
            position++;
        return position;
    }

    private static string NextWord(string line, ref int position)
    {
        int start = SkipBlanks(line, position);
        int end = line.IndexOf(' ', start);
        if (end < 0)
            end = line.Length;
        if (end == start)
            throw new FormatException("missing field: " + line);
        position = end;
        return line[start..end];
    }
}
