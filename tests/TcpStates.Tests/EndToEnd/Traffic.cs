using System.Net;
using System.Net.Sockets;

namespace TcpStates.Tests.EndToEnd;

/// <summary>Real TCP traffic, bounded and deterministic: who closes first, how long a state is held.</summary>
public static class Traffic
{
    /// <summary>A listener on a free port of <paramref name="address"/>.</summary>
    public static Socket Listen(IPAddress address)
    {
        var s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(address, 0));
        s.Listen(16);
        return s;
    }

    public static int PortOf(Socket s) => ((IPEndPoint)s.LocalEndPoint!).Port;

    /// <summary>
    /// Connects to <paramref name="listener"/>, holds the connection for <paramref name="hold"/>, then
    /// closes the client side first (or the server side), waits for the other side to see EOF, and closes it.
    /// </summary>
    public static void Connection(Socket listener, IPEndPoint to, TimeSpan hold, bool clientClosesFirst = true)
    {
        using var client = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(to);
        using Socket server = listener.Accept();
        Thread.Sleep(hold);
        Socket first = clientClosesFirst ? client : server, second = clientClosesFirst ? server : client;
        first.Close();   // close(2) alone: a shutdown() first would add a FIN_WAIT1 -> FIN_WAIT1 change
        var buf = new byte[16];
        second.ReceiveTimeout = 5000;
        while (second.Receive(buf) > 0) { }   // EOF: the FIN arrived
        Thread.Sleep(50);
        second.Close();
    }

    /// <summary>A listener on a free port of <paramref name="address"/>, one <see cref="Connection"/> to it, closed; returns the port.</summary>
    public static int OneConnection(IPAddress address, TimeSpan hold, bool clientClosesFirst = true)
    {
        using Socket listener = Listen(address);
        int port = PortOf(listener);
        Connection(listener, new IPEndPoint(address, port), hold, clientClosesFirst);
        return port;
    }

    /// <summary>A connection to a port nobody listens on: refused.</summary>
    public static void Refused(IPEndPoint to)
    {
        using var client = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        var e = Assert.Throws<SocketException>(() => client.Connect(to));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }

    /// <summary>A port that is free now (bound then released).</summary>
    public static int FreePort(IPAddress address)
    {
        using Socket s = Listen(address);
        return PortOf(s);
    }
}
