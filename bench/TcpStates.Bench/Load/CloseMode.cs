namespace TcpStates.Bench.Load;

/// <summary>How the load ends each connection.</summary>
internal enum CloseMode
{
    /// <summary>Client closes first (FIN), the server reads the FIN and closes: 10 state changes per connection.</summary>
    Graceful,

    /// <summary>Client closes with SO_LINGER 0 (RST), the server sees the reset and closes: 6 state changes.</summary>
    Reset,
}
