using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using BpfLoader;
using BpfLoader.Object;
using BpfLoader.Object.Spec;
using TcpStates.Cli;
using TcpStates.Containers;
using TcpStates.Output;
using TcpStates.Posix;
using TcpStates.Tracing;

namespace TcpStates;

/// <summary>Runs the tool for a command line: parse, then help, --ebpf, or trace until Ctrl-C, SIGTERM or a closed stdout.</summary>
public sealed class App
{
    /// <summary>Loads, attaches and reads until cancelled; <see cref="TraceSession.Run"/> outside tests.</summary>
    public delegate void Tracer(TcpStatesOptions options, IEventSink sink, CancellationToken cancellationToken);

    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly Func<Stream>? _openEvents;
    private readonly Tracer _trace;

    /// <param name="openEvents">Where events go; null for stdout (<see cref="OpenStandardOutput"/>).</param>
    public App(TextWriter stdout, TextWriter stderr, Func<Stream>? openEvents, Tracer trace)
    {
        _out = stdout;
        _err = stderr;
        _openEvents = openEvents;
        _trace = trace;
    }

    /// <summary>Where -Y sends entries: TCPSTATES_JOURNAL_SOCKET if set (tests point it at a socket of their own).</summary>
    public string JournalSocketPath { get; init; } =
        Environment.GetEnvironmentVariable(JournalWriter.SocketPathVariable) is { Length: > 0 } path ? path : JournalWriter.DefaultSocketPath;

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
            _err.Write($"tcpstates: {Describe(ex)}\n");
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
                journal = new JournalWriter(JournalSocketPath, includeCommand: !Environment.IsPrivilegedProcess);
            }
            catch (JournalUnavailableException ex)
            {
                _err.Write($"tcpstates: {ex.Message}\n");
                _err.Flush();
                return 1;
            }
        }

        using (journal)
        using (Stream events = _openEvents?.Invoke() ?? OpenStandardOutput(Stop.Token))
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
            output.ReportJournalLosses();
            if (printer.WriteError is { } error)
            {
                // Events were lost (a full disk, EIO, a reader that stalled the stop): an error, not a quiet end.
                _err.Write($"tcpstates: {Describe(error)}\n");
                _err.Flush();
                return 1;
            }
        }
        return 0;
    }

    /// <summary>
    /// One line for an exception: the native build strips .NET's message texts (its messages are resource keys
    /// such as IO_FileNotFound_FileName), so those of .NET's own exceptions are made here from what they carry,
    /// also where the loader quotes one in its own message.
    /// </summary>
    internal static string Describe(Exception ex)
    {
        string text = DescribeOne(ex, pathKnown: false);
        for (Exception? inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is not (BpfException or SystemError) && inner.Message.Length > 0
                && text.Contains(inner.Message, StringComparison.Ordinal))
                text = text.Replace(inner.Message, DescribeOne(inner, pathKnown: true), StringComparison.Ordinal);
        }
        return text;
    }

    private static string DescribeOne(Exception ex, bool pathKnown) => ex switch
    {
        BpfException or SystemError => ex.Message,
        FileNotFoundException f => (pathKnown || f.FileName is null ? "" : f.FileName + ": ") + "ENOENT (No such file or directory)",
        DirectoryNotFoundException => "ENOENT (No such file or directory)" + PathIn(ex.Message, pathKnown),
        UnauthorizedAccessException => "EACCES (Permission denied)" + PathIn(ex.Message, pathKnown),
        PathTooLongException => "ENAMETOOLONG (File name too long)",
        IOException { HResult: > 0 and < 4096 } io => $"{SystemError.Name(io.HResult)} ({SystemError.Describe(io.HResult)})" + PathIn(io.Message, pathKnown),
        SocketException s => $"socket: {s.SocketErrorCode}",
        _ => ex.GetType().Name,
    };

    /// <summary>The path in a message, "Key, /the/path" with resource keys or "... '/the/path' ..." with texts; "" if none.</summary>
    private static string PathIn(string message, bool pathKnown)
    {
        if (pathKnown)
            return "";
        int quote = message.IndexOf('\'', StringComparison.Ordinal);
        if (quote >= 0 && message.IndexOf('\'', quote + 1) is int end && end > quote + 1)
            return " at " + message[(quote + 1)..end];
        int comma = message.IndexOf(", /", StringComparison.Ordinal);
        return comma >= 0 ? " at " + message[(comma + 2)..] : "";
    }

    /// <summary>--ebpf: the kernel program as it is built into this binary (the original prints its BPF C text).</summary>
    private void WriteProgramSource()
    {
        Assembly tool = typeof(App).Assembly;
        foreach (string name in new[] { "tcpstates.h", "marks.h", "tcpstates.bpf.c" })
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

    /// <summary>
    /// stdout as an unbuffered stream that writes at the descriptor's offset, reports every error (Console's own
    /// stream hides them) and gives way to a stop; a pipe is grown.
    /// </summary>
    public static Stream OpenStandardOutput(CancellationToken stop)
    {
        PipeCapacity.Grow(1);
        return new DescriptorOutput(1, stop);
    }

    /// <summary>
    /// Ctrl-C and SIGTERM end the trace: the loop detaches, the printer flushes, the exit code is 0. Taken by a
    /// thread of our own (<see cref="StopSignals"/>), not Console.CancelKeyPress (which initialises the terminal)
    /// nor PosixSignalRegistration (which starts a thread per signal).
    /// </summary>
    internal void HandleSignals() => StopSignals.Start(Stop.Cancel);
}
