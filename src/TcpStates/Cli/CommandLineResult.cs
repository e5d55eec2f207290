namespace TcpStates.Cli;

/// <summary>The outcome of parsing: options to run with, a request for help, or an argparse-style error.</summary>
public sealed record CommandLineResult
{
    public TcpStatesOptions? Options { get; init; }
    public bool HelpRequested { get; init; }

    /// <summary>The text after "tcpstates: error: ", e.g. "unrecognized arguments: -x".</summary>
    public string? Error { get; init; }
}
