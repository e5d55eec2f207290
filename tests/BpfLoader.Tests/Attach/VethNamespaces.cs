using System.Diagnostics;
using System.Runtime.InteropServices;

namespace BpfLoader.Tests.Attach;

/// <summary>
/// Two network namespaces of the test's own joined by a veth pair (va in A with 10.213.N.1, vb in B with
/// .2): nothing of the host's network is touched. Attach calls run on a thread moved into A.
/// </summary>
internal sealed partial class VethNamespaces : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private static int s_counter;

    public string A { get; }
    public string B { get; }
    public string AddressA { get; }
    public const string InterfaceA = "va";

    public VethNamespaces()
    {
        int n = (Environment.ProcessId + Interlocked.Increment(ref s_counter)) % 250 + 1;
        A = $"bpfl-a-{Environment.ProcessId}-{n}";
        B = $"bpfl-b-{Environment.ProcessId}-{n}";
        AddressA = $"10.213.{n}.1";
        Ip($"netns add {A}");
        try
        {
            Ip($"netns add {B}");
            // No IPv6 in either namespace: a new link would otherwise send router solicitations and MLD
            // reports of its own at any moment, and the tests count every packet the programs see.
            DisableIpv6(A);
            DisableIpv6(B);
            Ip($"-n {A} link add va type veth peer name vb netns {B}");
            Ip($"-n {A} addr add {AddressA}/24 dev va");
            Ip($"-n {B} addr add 10.213.{n}.2/24 dev vb");
            Ip($"-n {A} link set va up");
            Ip($"-n {B} link set vb up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Runs the function on a new thread inside namespace A (a thread's network namespace is its own).</summary>
    public T InA<T>(Func<T> action)
    {
        T? result = default;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var ns = File.OpenHandle($"/run/netns/{A}");
                if (SetNs((int)ns.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new InvalidOperationException($"setns {A}: errno {Marshal.GetLastPInvokeError()}");
                result = action();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null) throw new InvalidOperationException("in namespace A: " + error.Message, error);
        return result!;
    }

    /// <summary>Sends UDP datagrams from B to A's address (bash's /dev/udp; the first also makes an ARP exchange).</summary>
    public void SendFromB(int datagrams)
    {
        for (int i = 0; i < datagrams; i++)
            Run("ip", $"netns exec {B} bash -c \"echo hello > /dev/udp/{AddressA}/9\"");
    }

    public void Dispose()
    {
        Run("ip", $"netns del {A}", check: false);
        Run("ip", $"netns del {B}", check: false);
    }

    private static void Ip(string arguments) => Run("ip", arguments);

    private static void DisableIpv6(string ns) =>
        Run("ip", $"netns exec {ns} sh -c \"echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6\"");

    public static string Run(string tool, string arguments, bool check = true)
    {
        var psi = new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (check && p.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {arguments}: exit {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
