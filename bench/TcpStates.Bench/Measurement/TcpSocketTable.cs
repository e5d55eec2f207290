using System.Diagnostics;
using System.Globalization;

namespace TcpStates.Bench.Measurement;

/// <summary>
/// The host's TCP sockets as /proc/net/tcp and tcp6 list them. A churn can end with state changes
/// still to come: a segment that loopback dropped or a SYN that met a closing socket is retransmitted
/// 0.2–1 s later (TcpRetransSegs shows one or two per 20,000 connections here). Waiting for the
/// workload's sockets to settle keeps those changes inside the run instead of after the tracer stopped.
/// </summary>
internal static class TcpSocketTable
{
    private const string TimeWait = "06", Close = "07";

    /// <summary>Sockets whose local or remote port is <paramref name="port"/> and that have a state change to come.</summary>
    public static int Unsettled(int port)
    {
        int count = 0;
        foreach (string table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            IEnumerable<string> lines;
            try
            {
                lines = File.ReadLines(table).Skip(1);
            }
            catch (IOException)
            {
                continue;
            }
            foreach (string line in lines)
            {
                // "  sl  local_address rem_address   st ...": addresses are HEXADDR:HEXPORT.
                string[] f = line.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 4 || f[3] is TimeWait or Close)
                    continue;
                if (PortOf(f[1]) == port || PortOf(f[2]) == port)
                    count++;
            }
        }
        return count;
    }

    /// <summary>Waits until <see cref="Unsettled"/> is 0 or <paramref name="timeout"/> passes; returns what is left.</summary>
    public static int WaitUntilSettled(int port, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        int left;
        while ((left = Unsettled(port)) > 0 && clock.Elapsed < timeout)
            Thread.Sleep(50);
        return left;
    }

    private static int PortOf(string address)
    {
        int colon = address.LastIndexOf(':');
        return colon >= 0 && int.TryParse(address.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int port) ? port : -1;
    }
}
