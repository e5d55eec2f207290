using System.Text;
using BpfLoader;
using BpfLoader.Errors;
using BpfLoader.Object;
using Microsoft.Win32.SafeHandles;
using TcpStates.Cli;
using TcpStates.Output;
using TcpStates.Tests.Output;

namespace TcpStates.Tests.Cli;

public class AppTests
{
    /// <summary>The tool's entry point in process: exit code, stdout, stderr.</summary>
    internal static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = App.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData(new[] { "-L", "x" }, "argument -L/--localport: invalid port 'x'")]
    [InlineData(new[] { "-L", "0" }, "argument -L/--localport: invalid port '0'")]
    [InlineData(new[] { "-L", "65536" }, "argument -L/--localport: invalid port '65536'")]
    [InlineData(new[] { "-D", "80,-1" }, "argument -D/--remoteport: invalid port '-1'")]
    [InlineData(new[] { "-D", "" }, "argument -D/--remoteport: invalid port ''")]
    [InlineData(new[] { "-L", "80," }, "argument -L/--localport: invalid port ''")]
    [InlineData(new[] { "-L", "0x50" }, "argument -L/--localport: invalid port '0x50'")]
    [InlineData(new[] { "-L" }, "argument -L/--localport: expected one argument")]
    [InlineData(new[] { "-D" }, "argument -D/--remoteport: expected one argument")]
    [InlineData(new[] { "-L", "-t" }, "argument -L/--localport: expected one argument")]
    [InlineData(new[] { "-4", "-6" }, "argument -6/--ipv6: not allowed with argument -4/--ipv4")]
    [InlineData(new[] { "-6", "--ipv4" }, "argument -4/--ipv4: not allowed with argument -6/--ipv6")]
    [InlineData(new[] { "-46" }, "argument -6/--ipv6: not allowed with argument -4/--ipv4")]
    [InlineData(new[] { "-x" }, "unrecognized arguments: -x")]
    [InlineData(new[] { "--bogus" }, "unrecognized arguments: --bogus")]
    [InlineData(new[] { "80" }, "unrecognized arguments: 80")]
    [InlineData(new[] { "-T", "extra", "more" }, "unrecognized arguments: extra more")]
    [InlineData(new[] { "--t" }, "ambiguous option: --t could match --time, --timestamp")]
    [InlineData(new[] { "--", "-T" }, "unrecognized arguments: -- -T")]
    [InlineData(new[] { "--" }, "unrecognized arguments: --")]
    [InlineData(new[] { "-T", "--" }, "unrecognized arguments: --")]
    [InlineData(new[] { "-x", "--", "-T", "-L", "80" }, "unrecognized arguments: -x -- -T -L 80")]
    [InlineData(new[] { "-L", "-5" }, "argument -L/--localport: expected one argument")]
    public void Bad_input_prints_usage_and_one_error_line_and_exits_2(string[] args, string error)
    {
        (int code, string stdout, string stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        string[] lines = stderr.TrimEnd('\n').Split('\n');
        Assert.Equal(HelpText.Usage, string.Join('\n', lines[..^1]) + "\n");
        Assert.StartsWith("usage: tcpstates [-h]", lines[0]);
        Assert.StartsWith("tcpstates: error: " + error, lines[^1]);
    }

    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    [InlineData("-Th")]
    [InlineData("--bogus", "-h")]
    public void Help_lists_every_option_and_example_and_exits_0(params string[] args)
    {
        (int code, string stdout, string stderr) = Run(args);
        Assert.Equal(0, code);
        Assert.Empty(stderr);
        Assert.StartsWith("usage: tcpstates [-h] [-T] [-t] [-w] [-s] [-L LOCALPORT] [-D REMOTEPORT] [-Y]\n                 [-4 | -6] [-j] [-C] [--netns NETNS] [--cgroup PATH]\n", stdout);
        foreach (string option in new[]
                 {
                     "-h, --help            show this help message and exit",
                     "-T, --time            include time column on output (HH:MM:SS)",
                     "-t, --timestamp       include timestamp on output (seconds)",
                     "-w, --wide            wide column output (fits IPv6 addresses)",
                     "-s, --csv             comma separated values output",
                     "-L LOCALPORT, --localport LOCALPORT\n                        comma-separated list of local ports to trace.",
                     "-D REMOTEPORT, --remoteport REMOTEPORT\n                        comma-separated list of remote ports to trace.",
                     "-Y, --journal         log session state changes to the systemd journal",
                     "-4, --ipv4            trace IPv4 family only",
                     "-6, --ipv6            trace IPv6 family only",
                     "-j, --json            JSON lines output: one object per state change",
                     "-C, --containers      include network namespace and cgroup columns",
                     "--netns NETNS         only trace sockets in this network namespace (an\n                        inode, or a path such as /proc/PID/ns/net or\n                        /run/netns/NAME)",
                     "--cgroup PATH         only trace sockets in this cgroup v2 directory or\n                        below it",
                 })
            Assert.Contains("  " + option + "\n", stdout);
        foreach (string example in new[]
                 {
                     "./tcpstates           # trace all TCP state changes",
                     "./tcpstates -t        # include timestamp column",
                     "./tcpstates -T        # include time column (HH:MM:SS)",
                     "./tcpstates -w        # wider columns (fit IPv6)",
                     "./tcpstates -stT      # csv output, with times & timestamps",
                     "./tcpstates -Y        # log events to the systemd journal",
                     "./tcpstates -L 80     # only trace local port 80",
                     "./tcpstates -L 80,81  # only trace local ports 80 and 81",
                     "./tcpstates -D 80     # only trace remote port 80",
                     "./tcpstates -4        # trace IPv4 family only",
                     "./tcpstates -6        # trace IPv6 family only",
                 })
            Assert.Contains("\n    " + example + "\n", stdout);
        Assert.DoesNotContain("ebpf", stdout);
        Assert.True(stdout.Split('\n').All(line => line.Length <= 80));
    }

    [Fact]
    public void Ebpf_prints_the_embedded_program_source_and_exits_0()
    {
        (int code, string stdout, string stderr) = Run("--ebpf");
        Assert.Equal(0, code);
        Assert.Empty(stderr);
        string root = Path.Combine(AppContext.BaseDirectory, "../../../../..");
        Assert.Contains(File.ReadAllText(Path.Combine(root, "bpf/tcpstates.bpf.c")), stdout);
        Assert.Contains(File.ReadAllText(Path.Combine(root, "bpf/tcpstates.h")), stdout);
    }

    [Fact]
    public void The_trace_prints_header_and_events_and_stops_at_cancel()
    {
        var events = new MemoryStream();
        TcpStatesOptions? seen = null;
        var stderr = new StringWriter();
        var app = new App(new StringWriter(), stderr, () => events, (options, sink, token) =>
        {
            seen = options;
            sink.Start();
            sink.OnEvent(EventFactory.ToBytes(EventFactory.Create("10.0.0.1", 1, "10.0.0.2", 2, deltaUs: 1373)));
            sink.OnLost(3, 17);
            sink.OnLost(-1, 2);
            sink.Flush();
        });
        Assert.Equal(0, app.Run(["-s", "-L", "1"]));
        Assert.Equal([(ushort)1], seen!.LocalPorts.ToArray());
        string[] lines = Encoding.UTF8.GetString(events.ToArray()).Split('\n');
        Assert.Equal("SKADDR,C-PID,C-COMM,IP,LADDR,LPORT,RADDR,RPORT,OLDSTATE,NEWSTATE,MS", lines[0]);
        Assert.Equal("ffff9fd7e8192000,1234,curl,4,10.0.0.1,1,10.0.0.2,2,CLOSE,SYN_SENT,1.373", lines[1]);
        Assert.Equal("lost 17 events on CPU #3\nlost 2 events\n", stderr.ToString());
    }

    [Fact]
    public void A_closed_output_ends_the_trace_with_exit_0()
    {
        using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);
        pipe.DisposeLocalCopyOfClientHandle();
        int batches = 0;
        var app = new App(new StringWriter(), new StringWriter(), () => pipe, (_, sink, token) =>
        {
            sink.Start();
            do
            {
                sink.OnEvent(EventFactory.ToBytes(EventFactory.Create()));
                batches++;
            }
            while (sink.Flush() && batches < 1000);
        });
        Assert.Equal(0, app.Run([]));
        Assert.Equal(1, batches);
    }

    [Fact]
    public void A_loader_error_is_one_line_on_stderr_and_exit_1()
    {
        var stderr = new StringWriter();
        var app = new App(new StringWriter(), stderr, () => new MemoryStream(),
            (_, _, _) => throw new BpfSyscallException("BPF_PROG_LOAD", 1));
        Assert.Equal(1, app.Run([]));
        // The capability hint follows only when this process lacks them (not when the tests run as root).
        string hint = BpfLoader.Errors.ThreadCapabilities.MayTrace ? "" : " (run as root, or grant CAP_BPF and CAP_PERFMON)";
        Assert.Equal($"tcpstates: BPF_PROG_LOAD: EPERM (Operation not permitted){hint}\n", stderr.ToString());
    }

    [Fact]
    public void An_unexpected_exception_is_one_line_too()
    {
        var stderr = new StringWriter();
        var app = new App(new StringWriter(), stderr, () => new MemoryStream(),
            (_, _, _) => throw new InvalidOperationException("ring vanished"));
        Assert.Equal(1, app.Run([]));
        Assert.Equal("tcpstates: unexpected InvalidOperationException: ring vanished\n", stderr.ToString());
    }

    [Fact]
    public void Journal_without_its_socket_fails_at_start_with_one_line()
    {
        var stderr = new StringWriter();
        bool traced = false;
        var app = new App(new StringWriter(), stderr, () => new MemoryStream(), (_, _, _) => traced = true)
        {
            JournalSocketPath = "/nonexistent/journal.sock",
        };
        Assert.Equal(1, app.Run(["-Y"]));
        Assert.False(traced);
        Assert.Equal("tcpstates: cannot log to the systemd journal: it is not running (no socket at /nonexistent/journal.sock)\n",
            stderr.ToString());
    }

    [Fact]
    public void A_full_output_is_one_error_line_and_exit_1()
    {
        var stderr = new StringWriter();
        using SafeFileHandleLease full = SafeFileHandleLease.Open("/dev/full");
        var app = new App(new StringWriter(), stderr, () => new DescriptorOutput(full.Fd, CancellationToken.None), (_, sink, token) =>
        {
            sink.Start();
            sink.OnEvent(EventFactory.ToBytes(EventFactory.Create()));
            sink.Flush();
        });
        Assert.Equal(1, app.Run([]));
        Assert.Equal("tcpstates: write to standard output: ENOSPC (No space left on device)\n", stderr.ToString());
    }

    [Fact]
    public void Messages_of_dotnet_exceptions_are_made_from_what_they_carry_not_resource_keys()
    {
        // What the native build (UseSystemResourceKeys) puts in .NET's messages: the key, then the arguments.
        Assert.Equal("/sys/kernel/btf/vmlinux: ENOENT (No such file or directory)",
            App.Describe(new FileNotFoundException("IO_FileNotFound_FileName, /sys/kernel/btf/vmlinux", "/sys/kernel/btf/vmlinux")));
        Assert.Equal("EACCES (Permission denied)", App.Describe(new UnauthorizedAccessException("UnauthorizedAccess_IODenied_NoPathName")));
        Assert.Equal("EACCES (Permission denied) at /sys/kernel/tracing",
            App.Describe(new UnauthorizedAccessException("UnauthorizedAccess_IODenied_Path, /sys/kernel/tracing")));
        Assert.Equal("EIO (Input/output error)", App.Describe(new IOException("IO_UnknownError", 5)));
        Assert.Equal("IOException", App.Describe(new IOException("IO_SomeKey")));
        // The loader quotes the message of what it caught: that part is remade too, without repeating the path.
        var caught = new FileNotFoundException("IO_FileNotFound_FileName, /sys/kernel/btf/vmlinux", "/sys/kernel/btf/vmlinux");
        Assert.Equal("cannot read kernel BTF /sys/kernel/btf/vmlinux: ENOENT (No such file or directory) (a kernel with CONFIG_DEBUG_INFO_BTF=y is needed)",
            App.Describe(new BpfException($"cannot read kernel BTF /sys/kernel/btf/vmlinux: {caught.Message} (a kernel with CONFIG_DEBUG_INFO_BTF=y is needed)", caught)));
    }

    [Fact]
    public void Cancel_stops_a_trace_that_waits_for_it()
    {
        var app = new App(new StringWriter(), new StringWriter(), () => new MemoryStream(), (_, sink, token) =>
        {
            sink.Start();
            token.WaitHandle.WaitOne();
        });
        app.Stop.Cancel(); // what Ctrl-C and SIGTERM do
        Assert.Equal(0, app.Run([]));
    }
}

/// <summary>A file opened for writing, by its descriptor number.</summary>
internal sealed class SafeFileHandleLease : IDisposable
{
    private readonly SafeFileHandle _handle;

    private SafeFileHandleLease(SafeFileHandle handle) => _handle = handle;

    public int Fd => (int)_handle.DangerousGetHandle();

    public static SafeFileHandleLease Open(string path, FileMode mode = FileMode.Open) =>
        new(File.OpenHandle(path, mode, FileAccess.Write));

    public void Dispose() => _handle.Dispose();
}
