using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using BpfLoader;
using BpfLoader.Spec;
using TcpStates.Cli;
using TcpStates.Containers;
using TcpStates.Output;
using TcpStates.Tracing;

namespace TcpStates;

/// <summary>Runs the tool for a command line: parse, then help, --ebpf, or trace until Ctrl-C, SIGTERM or a closed stdout.</summary>
public sealed class App
{
    /// <summary>Loads, attaches and reads until cancelled; <see cref="TraceSession.Run"/> outside tests.</summary>
    public delegate void Tracer(TcpStatesOptions options, IEventSink sink, CancellationToken cancellationToken);

    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly Func<Stream> _openEvents;
    private readonly Tracer _trace;

    public App(TextWriter stdout, TextWriter stderr, Func<Stream> openEvents, Tracer trace)
    {
        _out = stdout;
        _err = stderr;
        _openEvents = openEvents;
        _trace = trace;
    }

    /// <summary>Where -Y sends entries; tests point it at a socket of their own.</summary>
    public string JournalSocketPath { get; init; } = JournalWriter.DefaultSocketPath;

    /// <summary>Where the time column's local time comes from; tests fix it.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Cancels a running trace (what Ctrl-C and SIGTERM do).</summary>
    public CancellationTokenSource Stop { get; } = new();

    /// <summary>Parses and runs; tests call this in-process. Nothing traces: help, --ebpf and errors only.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        new App(stdout, stderr, () => Stream.Null, TraceSession.Run).Run(args);

    /// <returns>0, 1 for an error at start, 2 for a bad command line (as argparse).</returns>
    public int Run(string[] args)
    {
        CommandLineResult parsed = new TcpStatesCommandLine().Parse(args);
        if (parsed.HelpRequested)
        {
            _out.Write(HelpText.Full);
            _out.Flush();
            return 0;
        }
        if (parsed.Options is null)
        {
            _err.Write(HelpText.Usage);
            _err.Write($"tcpstates: error: {parsed.Error}\n");
            _err.Flush();
            return 2;
        }
        TcpStatesOptions options = parsed.Options;
        if (options.Ebpf)
        {
            WriteProgramSource();
            return 0;
        }

        try
        {
            return Trace(options);
        }
        catch (Exception ex) when (ex is BpfException or IOException or UnauthorizedAccessException
                                       or PlatformNotSupportedException or SocketException)
        {
            // Whatever stops us from starting is one clear line (a verifier log follows its line), never a trace.
            _err.Write($"tcpstates: {ex.Message}\n");
            _err.Flush();
            return 1;
        }
        catch (Exception ex)
        {
            // A bug, not a user error: still one line, with the type to search for.
            _err.Write($"tcpstates: unexpected {ex.GetType().Name}: {ex.Message}\n");
            _err.Flush();
            return 1;
        }
    }

    private int Trace(TcpStatesOptions options)
    {
        JournalWriter? journal = null;
        if (options.Journal)
        {
            try
            {
                journal = new JournalWriter(JournalSocketPath, includeCommand: !Environment.IsPrivilegedProcess, _err);
            }
            catch (SocketException ex)
            {
                _err.Write($"tcpstates: cannot log to the systemd journal at {JournalSocketPath}: {ex.Message}\n");
                _err.Flush();
                return 1;
            }
        }

        using (journal)
        using (Stream events = _openEvents())
        {
            // -j and -C name each event's cgroup by its path, resolved here from the id the kernel gives.
            CgroupPaths? cgroups = options.Json || options.Containers ? CgroupPaths.ForHost() : null;
            var printer = new EventPrinter(events, options.Format, options.Time, options.Timestamp, Clock)
            {
                Json = options.Json ? new JsonEventFormatter(options.Time, options.Timestamp, Clock, cgroups!) : null,
                Containers = options.Containers && !options.Json ? cgroups : null,
            };
            var output = new EventOutput(printer, journal, _err)
            {
                JournalJson = options.Json && journal is not null
                    ? new JsonEventFormatter(options.Time, options.Timestamp, Clock, cgroups!) : null,
            };
            _trace(options, output, Stop.Token);
            output.Flush();
        }
        return 0;
    }

    /// <summary>--ebpf: the kernel program as it is built into this binary (the original prints its BPF C text).</summary>
    private void WriteProgramSource()
    {
        Assembly tool = typeof(App).Assembly;
        foreach (string name in new[] { "tcpstates.h", "tcpstates.bpf.c" })
        {
            using Stream? source = tool.GetManifestResourceStream(name);
            if (source is null)
                continue;
            using var reader = new StreamReader(source);
            _out.Write($"/* ---- {name} ---- */\n");
            _out.Write(reader.ReadToEnd());
            _out.Write('\n');
        }
        // And what clang made of it: the instructions of each program, as embedded in this binary.
        CollectionSpec spec = CollectionSpec.FromResource(tool, "tcpstates.bpf.o");
        foreach (ProgramSpec program in spec.Programs.Values)
        {
            _out.Write($"/* ---- {program.Name} ({program.SectionName}): {program.Instructions.Length} instructions ---- */\n");
            _out.Write(program.Disassemble());
            _out.Write('\n');
        }
        _out.Flush();
    }

    /// <summary>stdout as an unbuffered stream that reports EPIPE (Console's own stream hides it); a pipe is grown.</summary>
    public static Stream OpenStandardOutput()
    {
        PipeCapacity.Grow(1);
        return OpenOutput(1) ?? Console.OpenStandardOutput();
    }

    /// <summary>An unbuffered write stream over an inherited descriptor, or null when it is not usable.</summary>
    internal static FileStream? OpenOutput(nint fd)
    {
        var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false);
        try
        {
            return new FileStream(handle, FileAccess.Write, bufferSize: 0);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Ctrl-C and SIGTERM end the trace: the loop detaches, the printer flushes, the exit code is 0.
    /// SIGINT through PosixSignalRegistration, not Console.CancelKeyPress: that one initialises the
    /// terminal (it writes ESC[?1h ESC= to a tty) and costs start-up time.
    /// </summary>
    public IDisposable HandleSignals()
    {
        Action<PosixSignalContext> stop = context =>
        {
            context.Cancel = true;
            Stop.Cancel();
        };
        return new SignalHandlers(
            PosixSignalRegistration.Create(PosixSignal.SIGINT, stop),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, stop));
    }

    private sealed class SignalHandlers(PosixSignalRegistration interrupt, PosixSignalRegistration term) : IDisposable
    {
        public void Dispose()
        {
            interrupt.Dispose();
            term.Dispose();
        }
    }
}
