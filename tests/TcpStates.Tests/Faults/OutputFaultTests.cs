using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>stdout closed, full, broken (EIO), shared with the shell and stderr, and not being read.</summary>
[Collection("tracer")]
public sealed partial class OutputFaultTests
{
    [KernelFact]
    public void A_closed_stdout_is_one_error_line_and_exit_1()
    {
        using var leftovers = ToolLeftovers.Watch(requireObjects: false);
        (int code, string stdout, string stderr) = ToolScript.Run("exec \"$BIN\" -s >&-");
        Assert.Equal("", stdout);
        Assert.Equal("tcpstates: standard output is closed: EBADF (Bad file descriptor)", Assert.Single(ToolScript.Lines(stderr)));
        Assert.Equal(1, code);
    }

    [KernelFact]
    public void A_full_device_is_one_ENOSPC_line_and_exit_1()
    {
        using var leftovers = ToolLeftovers.Watch(requireObjects: false);
        (int code, _, string stderr) = ToolScript.Run("exec \"$BIN\" -s > /dev/full");
        Assert.Equal("tcpstates: write to standard output: ENOSPC (No space left on device)", Assert.Single(ToolScript.Lines(stderr)));
        Assert.Equal(1, code);
    }

    [KernelFact]
    public void A_filesystem_that_fills_up_is_one_ENOSPC_line_and_exit_1()
    {
        using var leftovers = ToolLeftovers.Watch();
        // A 4 KiB tmpfs in a mount namespace of the tool's own: the header fits, the events soon do not.
        string dir = Directory.CreateTempSubdirectory("tcpstates-full-").FullName;
        using var listener = Traffic.Listen(IPAddress.Loopback);
        int port = Traffic.PortOf(listener);
        try
        {
            (int code, _, string stderr) = ToolScript.Run(
                $"exec unshare -m sh -c 'mount -t tmpfs -o size=4k tcpstates-full \"{dir}\" && exec \"$BIN\" -s -L {port} > \"{dir}/log\"'",
                // Traffic only once the leftovers check has seen the tool's objects: the full disk ends the tool.
                () => { if (ToolLeftovers.ObjectsSeen) Traffic.Connection(listener, new IPEndPoint(IPAddress.Loopback, port), TimeSpan.Zero); });
            Assert.Equal("tcpstates: write to standard output: ENOSPC (No space left on device)", Assert.Single(ToolScript.Lines(stderr)));
            Assert.Equal(1, code);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [KernelFact]
    public void A_terminal_that_hung_up_is_one_EIO_line_and_exit_1()
    {
        using var leftovers = ToolLeftovers.Watch();
        // A pseudo-terminal whose master side closes: writes to its slave side fail with EIO.
        // O_CLOEXEC: the tool must not inherit the master, or closing ours would not hang the terminal up.
        int master = PosixOpenPt(2 /* O_RDWR */ | 0x100 /* O_NOCTTY */ | 0x80000 /* O_CLOEXEC */);
        Assert.True(master >= 0, "posix_openpt failed");
        using var masterHandle = new SafeFileHandle(master, ownsHandle: true);
        Assert.Equal(0, GrantPt(master));
        Assert.Equal(0, UnlockPt(master));
        byte[] name = new byte[128];
        Assert.Equal(0, PtsName(master, name, (nuint)name.Length));
        string slave = System.Text.Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0));

        using var listener = Traffic.Listen(IPAddress.Loopback);
        int port = Traffic.PortOf(listener);
        var psi = new ProcessStartInfo("sh", new[] { "-c", $"exec \"$BIN\" -s -L {port} > {slave}" })
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        psi.Environment["BIN"] = PublishedTool.Path;
        using Process p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        try
        {
            using (var terminal = new FileStream(masterHandle, FileAccess.Read, bufferSize: 0))
            {
                var seen = new System.Text.StringBuilder();
                byte[] buffer = new byte[4096];
                while (!seen.ToString().Contains("SKADDR", StringComparison.Ordinal))
                {
                    int n = terminal.Read(buffer);
                    Assert.True(n > 0, "the terminal closed before the header");
                    seen.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
                }
                // Before the hang-up ends the tool: the leftovers check must have seen its objects.
                ToolLeftovers.WaitForObjects();
            }
            // The master is closed now: the next events find the terminal hung up.
            DateTime until = DateTime.UtcNow.AddSeconds(60);
            while (!p.HasExited && DateTime.UtcNow < until)
            {
                Traffic.Connection(listener, new IPEndPoint(IPAddress.Loopback, port), TimeSpan.Zero);
                p.WaitForExit(50);
            }
            Assert.True(p.HasExited, "the tool kept running on a hung-up terminal");
            p.WaitForExit();
            Assert.Equal("tcpstates: write to standard output: EIO (Input/output error)", Assert.Single(ToolScript.Lines(stderr.Result)));
            Assert.Equal(1, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill();
        }
    }

    [KernelFact]
    public void Stdout_and_stderr_on_one_file_and_the_shell_after_the_tool_keep_every_line()
    {
        using var leftovers = ToolLeftovers.Watch();
        // `{ tcpstates > f 2>&1; echo done; }`: one open file, one offset. The debug line goes to stderr first,
        // then the header to stdout, then the exit's debug line, then the shell's line.
        string file = Path.GetTempFileName();
        try
        {
            (int code, string stdout, string stderr) = ToolScript.Run(
                $"exec 3>\"{file}\"; \"$BIN\" -s >&3 2>&3 & pid=$!; " +
                $"until grep -q SKADDR \"{file}\"; do sleep 0.05; done; tool_seen; kill -TERM $pid; wait $pid; echo \"rc=$?\"; echo done >&3",
                environment: new Dictionary<string, string> { ["TCPSTATES_DEBUG"] = "1" });
            Assert.Equal(0, code);
            Assert.Equal("rc=0\n", stdout);
            Assert.Equal("", stderr);
            string[] lines = File.ReadAllLines(file);
            int header = Array.IndexOf(lines, "SKADDR,C-PID,C-COMM,IP,LADDR,LPORT,RADDR,RPORT,OLDSTATE,NEWSTATE,MS");
            Assert.True(header > 0, "no header after the debug lines:\n" + string.Join('\n', lines));
            Assert.All(lines[..header], l => Assert.StartsWith("tcpstates: debug: ", l));
            Assert.StartsWith("tcpstates: debug: attached: ", lines[header - 1]);
            // Events of other sockets on the host may come between, each a whole row, or a report of lost events.
            Assert.All(lines[(header + 1)..^2], row => Assert.True(row.Split(',').Length == 11 || row.StartsWith("lost ", StringComparison.Ordinal), row));
            Assert.StartsWith("tcpstates: debug: events lost: ", lines[^2]);
            Assert.Equal("done", lines[^1]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [KernelFact]
    public void A_stdout_nobody_reads_does_not_keep_SIGINT_from_ending_the_tool()
    {
        using var leftovers = ToolLeftovers.Watch();
        var psi = new ProcessStartInfo(PublishedTool.Path, "-s")
        {
            RedirectStandardOutput = true,   // read up to the header, then never again
            RedirectStandardError = true,
        };
        using Process p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        try
        {
            Assert.StartsWith("SKADDR,", p.StandardOutput.ReadLine());
            // Far more than the pipe holds (the tool grows it to 1 MiB): the tool ends up waiting in a write.
            Traffic.Churn(IPAddress.Loopback, connections: 3000, clients: 2);
            ToolLeftovers.WaitForObjects();
            Assert.Equal(0, Host.Kill(p.Id, Host.SIGINT));
            Assert.True(p.WaitForExit(60_000), "SIGINT did not end the tool while its stdout was not being read");
            p.WaitForExit();
            string[] lines = ToolScript.Lines(stderr.Result);
            Assert.Equal("tcpstates: standard output is not being read: stopped without writing the rest", lines[^1]);
            // Before it, at most the events the ring had no room for while the tool waited.
            Assert.All(lines[..^1], l => Assert.Matches(@"^lost \d+ events$", l));
            Assert.Equal(1, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill();
        }
    }

    [LibraryImport("libc", EntryPoint = "posix_openpt")]
    private static partial int PosixOpenPt(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt")]
    private static partial int GrantPt(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt")]
    private static partial int UnlockPt(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname_r")]
    private static partial int PtsName(int fd, [Out] byte[] buffer, nuint length);
}
