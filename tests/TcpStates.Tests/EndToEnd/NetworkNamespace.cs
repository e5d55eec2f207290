using System.Diagnostics;
using System.Net;

namespace TcpStates.Tests.EndToEnd;

/// <summary>
/// A network namespace of the test's own, joined to the host by a veth pair: the host side has
/// 10.231.N.1 and fd42:231:N::1, the namespace side .2 and ::2. Test traffic goes only there.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private static int s_counter;

    public string Name { get; }
    public IPAddress HostV4 { get; }
    public IPAddress InsideV4 { get; }
    public IPAddress HostV6 { get; }
    public IPAddress InsideV6 { get; }
    private readonly string _hostVeth;

    public NetworkNamespace()
    {
        int n = (Environment.ProcessId + Interlocked.Increment(ref s_counter)) % 250 + 1;
        Name = $"tcpst-{Environment.ProcessId}-{n}";
        _hostVeth = $"tsh{n}";
        string inner = $"tsn{n}";
        HostV4 = IPAddress.Parse($"10.231.{n}.1");
        InsideV4 = IPAddress.Parse($"10.231.{n}.2");
        HostV6 = IPAddress.Parse($"fd42:231:{n:x}::1");
        InsideV6 = IPAddress.Parse($"fd42:231:{n:x}::2");

        Ip($"netns add {Name}");
        try
        {
            Ip($"link add {_hostVeth} type veth peer name {inner}");
            Ip($"link set {inner} netns {Name}");
            Ip($"addr add {HostV4}/24 dev {_hostVeth}");
            Ip($"-6 addr add {HostV6}/64 dev {_hostVeth} nodad");
            Ip($"link set {_hostVeth} up");
            Ip($"-n {Name} addr add {InsideV4}/24 dev {inner}");
            Ip($"-n {Name} -6 addr add {InsideV6}/64 dev {inner} nodad");
            Ip($"-n {Name} link set {inner} up");
            Ip($"-n {Name} link set lo up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="action"/> on a thread that has joined the namespace: sockets it makes live there.</summary>
    public T Inside<T>(Func<T> action)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var ns = File.OpenHandle($"/run/netns/{Name}");
                if (Host.Setns((int)ns.DangerousGetHandle(), Host.CLONE_NEWNET) != 0)
                    throw new InvalidOperationException("setns failed: errno " + System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
                result = action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException("inside the namespace: " + failure.Message, failure);
        return result;
    }

    public void Dispose()
    {
        // Deleting the namespace removes the veth pair with it.
        try { Ip($"link del {_hostVeth}"); } catch (InvalidOperationException) { }
        try { Ip($"netns del {Name}"); } catch (InvalidOperationException) { }
    }

    private static void Ip(string args)
    {
        var psi = new ProcessStartInfo("ip", args) { RedirectStandardError = true, RedirectStandardOutput = true };
        using Process p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ip {args}: {err.Trim()}");
    }
}
