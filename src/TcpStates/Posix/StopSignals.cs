namespace TcpStates.Posix;

/// <summary>
/// SIGINT and SIGTERM taken synchronously: blocked in every thread and waited for (sigwaitinfo) by one thread
/// started before tracing. So a signal allocates nothing and starts no thread (the runtime's
/// PosixSignalRegistration starts a thread per signal, which fails with OutOfMemoryException under a tight
/// RLIMIT_AS), and a SIGINT inherited as ignored (a script's background job) is reset and taken all the same.
/// </summary>
internal static unsafe partial class StopSignals
{
    internal const int SigBlock = 0;
    internal const int SigSetWords = 16;   // glibc's sigset_t: 1024 bits

    /// <summary>
    /// First thing in Main, before any thread is started: resets both signals to their default (an ignored signal
    /// is discarded even when blocked) and blocks them in this thread and in the runtime's finalizer thread, the
    /// only others there are; every later thread inherits the mask.
    /// </summary>
    public static void BlockInEveryThread()
    {
        _ = Libc.Signal(Libc.Sigint, Libc.SigDfl);
        _ = Libc.Signal(Libc.Sigterm, Libc.SigDfl);
        Block();
        FinalizerThreadBlocker.Run();
    }

    /// <summary>Starts the thread that waits for the signals and calls <paramref name="onStop"/> for each.</summary>
    public static void Start(Action onStop)
    {
        var waiter = new Thread(() => Wait(onStop), maxStackSize: 256 * 1024)
        {
            IsBackground = true,
            Name = "stop signals",
        };
        waiter.Start();
    }

    private static void Wait(Action onStop)
    {
        ulong* set = stackalloc ulong[SigSetWords];
        Fill(set);
        while (true)
        {
            if (SigWaitInfo(set) > 0)
                onStop();
        }
    }

    private static void Block()
    {
        ulong* set = stackalloc ulong[SigSetWords];
        Fill(set);
        _ = PthreadSigmask(SigBlock, set, null);
    }

    private static void Fill(ulong* set)
    {
        new Span<ulong>(set, SigSetWords).Clear();
        set[0] = (1UL << (Libc.Sigint - 1)) | (1UL << (Libc.Sigterm - 1));
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "pthread_sigmask")]
    private static partial int PthreadSigmask(int how, ulong* set, ulong* old);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "sigwaitinfo", SetLastError = true)]
    private static partial int SigWaitInfo(ulong* set, void* info = null);

    /// <summary>An object whose finalizer blocks the signals: the way to run code on the finalizer thread.</summary>
    private sealed class FinalizerThreadBlocker
    {
        ~FinalizerThreadBlocker() => Block();

        public static void Run()
        {
            Create();
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void Create() => _ = new FinalizerThreadBlocker();
    }
}
