namespace TcpStates.Output;

/// <summary>The three layouts of the original: 80-column default, -w (fits IPv6), -s (CSV, wins over -w).</summary>
public enum OutputFormat
{
    Columns,
    Wide,
    Csv,
}
