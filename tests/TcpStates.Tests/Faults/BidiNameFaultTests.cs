using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>A command name with bidi controls (U+202E makes the rest of a line read backwards) is printed escaped.</summary>
[Collection("tracer")]
public sealed partial class BidiNameFaultTests
{
    [KernelFact]
    public void A_name_with_a_right_to_left_override_is_escaped_in_text_and_csv()
    {
        using var leftovers = ToolLeftovers.Watch();
        // CSV shows the name whole; wide columns cut it at 16 characters.
        foreach ((string format, string shown) in new[] { ("-s", @"a\xe2\x80\xaeb\xe2\x81\xa7c\xe2\x80\xa9d"), ("-w", @"a\xe2\x80\xaeb") })
        {
            using var listener = Traffic.Listen(IPAddress.Loopback);
            int port = Traffic.PortOf(listener);
            using TracerRun run = TracerRun.Start(format, "-D", port.ToString());
            // The connecting thread's name is the C-COMM of its CLOSE -> SYN_SENT.
            var client = new Thread(() =>
            {
                byte[] name = [.. "a\u202Eb\u2067c\u2029d"u8, 0];
                Assert.Equal(0, Prctl(15 /* PR_SET_NAME */, name, 0, 0, 0));
                Traffic.Connection(listener, new IPEndPoint(IPAddress.Loopback, port), TimeSpan.Zero);
            });
            client.Start();
            client.Join();
            run.WaitForLines(l => l.Any(x => x.Contains("SYN_SENT", StringComparison.Ordinal)), TimeSpan.FromSeconds(15), "the SYN_SENT row");
            Assert.Equal(0, run.Stop());
            string row = run.Lines.First(x => x.Contains("SYN_SENT", StringComparison.Ordinal));
            Assert.Contains(shown, row);
            Assert.DoesNotContain(run.Lines, l => l.Any(c => c is '\u202E' or '\u2067' or '\u2029'));
        }
    }

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, byte[] arg2, nint arg3, nint arg4, nint arg5);
}
