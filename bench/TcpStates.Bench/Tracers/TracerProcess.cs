using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using TcpStates.Bench.Interop;
using TcpStates.Bench.Measurement;

namespace TcpStates.Bench.Tracers;

/// <summary>
/// A running tracer, started with posix_spawn so that the harness chooses its stdout (pipe, file
/// or /dev/null) without a shell in between, and reaps it itself with wait4 for its rusage. It starts
/// with SIGINT and SIGTERM at their default actions, whatever the harness inherited: a shell's background
/// job ignores SIGINT, and an ignored signal stays ignored across exec, so a tracer that only installs
/// handlers for signals not ignored (.NET's own) would never stop.
/// </summary>
internal sealed unsafe class TracerProcess : IDisposable
{
    private readonly Thread? _reader;
    private readonly string _stderrPath;
    private int _exitStatus = -1;
    private Rusage _usage;

    private TracerProcess(int pid, long startTimestamp, TracerOutputScanner? scanner, Thread? reader, string stderrPath)
    {
        Pid = pid;
        StartTimestamp = startTimestamp;
        PipeScanner = scanner;
        _reader = reader;
        _stderrPath = stderrPath;
    }

    public int Pid { get; }

    public long StartTimestamp { get; }

    /// <summary>Counts stdout as it arrives, for <see cref="OutputSink.Pipe"/> and <see cref="OutputSink.Terminal"/>.</summary>
    public TracerOutputScanner? PipeScanner { get; }

    public bool Exited => _exitStatus >= 0;

    public string ExitDescription => !Exited ? "running"
        : (_exitStatus & 0x7f) == 0 ? $"exit code {(_exitStatus >> 8) & 0xff}" : $"killed by signal {_exitStatus & 0x7f}";

    public Rusage Usage => _usage;

    public static TracerProcess Start(string path, IReadOnlyList<string> arguments, OutputSink sink, string stdoutPath, string stderrPath)
    {
        byte* actions = stackalloc byte[Native.FileActionsSize];
        Native.FileActionsInit(actions);
        byte* attributes = stackalloc byte[Native.SpawnAttrSize];
        Native.SpawnAttrInit(attributes);
        byte* defaults = stackalloc byte[Native.SigSetSize];
        Native.SigEmptySet(defaults);
        Native.SigAddSet(defaults, Native.SigInt);
        Native.SigAddSet(defaults, Native.SigTerm);
        Native.SpawnAttrSetSigDefault(attributes, defaults);
        Native.SpawnAttrSetFlags(attributes, Native.PosixSpawnSetSigDef);
        var strings = new List<nint>();
        int* pipe = stackalloc int[2] { -1, -1 };
        try
        {
            byte* Utf8(string s)
            {
                nint p = Marshal.StringToCoTaskMemUTF8(s);
                strings.Add(p);
                return (byte*)p;
            }

            Native.FileActionsAddOpen(actions, 0, Utf8("/dev/null"), Native.ORdOnly, 0);
            switch (sink)
            {
                case OutputSink.Pipe:
                    if (Native.Pipe2(pipe, Native.OCloexec) < 0)
                        throw new NativeCallException("pipe2", Native.LastErrno);
                    Native.FileActionsAddDup2(actions, pipe[1], 1);
                    break;
                case OutputSink.File:
                    Native.FileActionsAddOpen(actions, 1, Utf8(stdoutPath), Native.OWrOnly | Native.OCreat | Native.OTrunc, 0x1a4);
                    break;
                case OutputSink.Cached:
                    Native.FileActionsAddOpen(actions, 1, Utf8(stdoutPath), Native.OWrOnly, 0);   // over the zeros, from the start
                    break;
                case OutputSink.Terminal:
                    pipe[0] = OpenTerminal(out string slave);
                    Native.FileActionsAddOpen(actions, 1, Utf8(slave), Native.OWrOnly | Native.ONoCtty, 0);
                    break;
                case OutputSink.Null:
                    Native.FileActionsAddOpen(actions, 1, Utf8("/dev/null"), Native.OWrOnly, 0);
                    break;
            }
            Native.FileActionsAddOpen(actions, 2, Utf8(stderrPath), Native.OWrOnly | Native.OCreat | Native.OTrunc, 0x1a4);

            byte** argv = stackalloc byte*[arguments.Count + 2];
            argv[0] = Utf8(path);
            for (int i = 0; i < arguments.Count; i++)
                argv[i + 1] = Utf8(arguments[i]);
            argv[arguments.Count + 1] = null;

            var environment = Environment.GetEnvironmentVariables();
            byte** envp = stackalloc byte*[environment.Count + 1];
            int e = 0;
            foreach (System.Collections.DictionaryEntry entry in environment)
                envp[e++] = Utf8($"{entry.Key}={entry.Value}");
            envp[e] = null;

            int pid;
            long start = Stopwatch.GetTimestamp();
            int error = Native.PosixSpawn(&pid, argv[0], actions, attributes, argv, envp);
            if (error != 0)
                throw new NativeCallException($"posix_spawn {path}", error);

            TracerOutputScanner? scanner = null;
            Thread? reader = null;
            if (sink is OutputSink.Pipe or OutputSink.Terminal)
            {
                if (pipe[1] >= 0)
                    Native.Close(pipe[1]);
                pipe[1] = -1;
                scanner = new TracerOutputScanner();
                var handle = new SafeFileHandle(pipe[0], ownsHandle: true);
                pipe[0] = -1;
                reader = new Thread(() => Drain(handle, scanner)) { IsBackground = true, Name = "tracer stdout" };
                reader.Start();
            }
            return new TracerProcess(pid, start, scanner, reader, stderrPath);
        }
        finally
        {
            for (int i = 0; i < 2; i++)
            {
                if (pipe[i] >= 0)
                    Native.Close(pipe[i]);
            }
            Native.FileActionsDestroy(actions);
            Native.SpawnAttrDestroy(attributes);
            foreach (nint p in strings)
                Marshal.FreeCoTaskMem(p);
        }
    }

    /// <summary>A pseudo-terminal master (returned) and the path of its slave.</summary>
    private static int OpenTerminal(out string slavePath)
    {
        int master = Native.PosixOpenPt(Native.ORdWr | Native.ONoCtty | Native.OCloexec);
        if (master < 0)
            throw new NativeCallException("posix_openpt", Native.LastErrno);
        byte* name = stackalloc byte[128];
        if (Native.GrantPt(master) < 0 || Native.UnlockPt(master) < 0 || Native.PtsNameR(master, name, 128) != 0)
        {
            int errno = Native.LastErrno;
            Native.Close(master);
            throw new NativeCallException("grantpt/unlockpt/ptsname_r", errno);
        }
        slavePath = Marshal.PtrToStringUTF8((nint)name)!;
        return master;
    }

    private static void Drain(SafeFileHandle handle, TracerOutputScanner scanner)
    {
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        var buffer = new byte[1 << 16];
        try
        {
            int n;
            while ((n = stream.Read(buffer)) > 0)
                scanner.Feed(buffer.AsSpan(0, n));
        }
        catch (IOException)
        {
            // A terminal master reads EIO once the slave's last holder has exited: end of output.
        }
        scanner.Complete();
    }

    /// <summary>Reaps the process if it has exited; true when it has.</summary>
    public bool PollExit()
    {
        if (Exited)
            return true;
        int status;
        Rusage usage;
        int r = Native.Wait4(Pid, &status, Native.WNoHang, &usage);
        if (r == Pid)
        {
            _exitStatus = status;
            _usage = usage;
            _reader?.Join();
            return true;
        }
        return false;
    }

    /// <summary>Waits until the process has exited (polling, so a hung tracer cannot hang the harness).</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!PollExit())
        {
            if (clock.Elapsed > timeout)
                return false;
            Thread.Sleep(2);
        }
        return true;
    }

    public void Signal(int signal) => Native.Kill(Pid, signal);

    public string ReadStderr() => ProcessProbe.TryRead(_stderrPath) ?? "";

    public void Dispose()
    {
        if (!Exited)
        {
            Signal(Native.SigKill);
            WaitForExit(TimeSpan.FromSeconds(5));
        }
    }

    internal static string Tail(string text, int maxChars)
    {
        text = text.Trim();
        return text.Length <= maxChars ? text : "…" + text[^maxChars..];
    }

    internal static string OneLine(string text) => new StringBuilder(text).Replace('\n', ' ').ToString();
}
