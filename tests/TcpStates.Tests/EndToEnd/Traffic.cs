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

    /// <summary>
    /// <paramref name="connections"/> connections to one listener, as fast as <paramref name="clients"/>
    /// threads can open and close them, each accepted and closed once the client's FIN arrives (10 state
    /// changes per connection, and the listener's 2); returns the listener's port once all are closed.
    /// </summary>
    public static int Churn(IPAddress address, int connections, int clients)
    {
        using Socket listener = Listen(address);
        listener.Listen(512);
        int port = PortOf(listener);
        var acceptor = new Thread(() =>
        {
            var buf = new byte[16];
            for (int i = 0; i < connections; i++)
            {
                using Socket server = listener.Accept();
                server.ReceiveTimeout = 5000;
                while (server.Receive(buf) > 0) { }
            }
        });
        acceptor.Start();
        var workers = Enumerable.Range(0, clients).Select(w => new Thread(() =>
        {
            for (int i = w; i < connections; i += clients)
            {
                using var client = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                client.Connect(new IPEndPoint(address, port));
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        Assert.True(acceptor.Join(TimeSpan.FromSeconds(30)), "the acceptor did not see every connection close");
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
