using System.Diagnostics;
using BpfLoader.Object;
using BpfLoader.Rings;
using BpfLoader.Tracing;
using TcpStates.Cli;
using TcpStates.Output;
using TcpStates.Posix;

namespace TcpStates.Tracing;

/// <summary>The read loop: attach, print the header, then ring → sink in batches until stopped.</summary>
public static class TraceSession
{
    /// <summary>
    /// Traces until <paramref name="cancellationToken"/> is cancelled or <see cref="IEventSink.Flush"/> returns false;
    /// throws a BpfException when the program cannot be loaded or attached. On the way out it detaches
    /// first and then drains the rings, so every event the kernel delivered is printed.
    /// </summary>
    public static void Run(TcpStatesOptions options, IEventSink sink, CancellationToken cancellationToken)
    {
        Debug(ReadLoopPriority.Raise());
        using TcpStatesProbe probe = TcpStatesProbe.Attach(options, Debug, Notice);
        Debug("attached: " + probe.Description);
        RingReader events = probe.Events.Connect(sink.OnEvent);
        using var poller = new RingPoller();
        poller.Add(events);
        using CancellationTokenRegistration wake = cancellationToken.Register(poller.Wake);

        sink.Start();
        if (!sink.Flush()) return;
        // Start-up's garbage (the kernel's BTF and its index, the object, the verifier's buffers) would stay resident
        // for as long as the tool runs: it allocates nothing while it traces, so no collection would come. The header
        // is out; the rings hold what comes meanwhile.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        // While events flow, drain on a timer. Once a drain finds nothing, wait on the ring: with a ring buffer the
        // programs wake us for the first record written while we wait (so an idle tool sleeps until traffic comes, and
        // the loss count is read once a second), and only then; a perf buffer only at its watermark, so there the wait
        // stays short.
        bool ringBuffer = probe.Events.Kind != EventRingKind.PerfEventArray;
        int idleTimeoutMs = ringBuffer ? TcpStatesProbe.IdleTimeoutMs : TcpStatesProbe.PollTimeoutMs;
        int read = 0;
        bool quiet = false;   // the last wait brought nothing
        long lossesRead = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (read > 0 && ringBuffer)
            {
                poller.Pause(TcpStatesProbe.BusyPollTimeoutMs);
                read = events.DrainAll();
            }
            else
            {
                // Nothing came: wait on the rings, unless records are there (held back by the last round, or still
                // being written). The first wait after traffic is short: a record made as it began may raise no
                // wakeup. The next is long, and exact, after a grace period, which would stall a busy reader.
                int timeoutMs = TcpStatesProbe.BusyPollTimeoutMs;
                if (read == 0 && probe.Events.PrepareToWait(exact: quiet))
                    timeoutMs = quiet ? idleTimeoutMs : Math.Min(idleTimeoutMs, TcpStatesProbe.FirstIdleTimeoutMs);
                read = poller.Poll(timeoutMs);
                if (read == 0)
                    read = events.DrainAll();
                // Still nothing: the flag stays set for the next wait, which then needs no new grace period.
                if (read > 0)
                    probe.Events.EndWait();
                quiet = read == 0;
            }
            // The loss counts are read by syscalls (and, once a second, perf reads that interrupt the other CPUs):
            // while events flow, not after every drain.
            if (read == 0 || Stopwatch.GetElapsedTime(lossesRead) >= LossReadInterval)
            {
                ReportDrops(probe, sink);
                lossesRead = Stopwatch.GetTimestamp();
            }
            if (!sink.Flush()) return;
        }

        probe.Detach();
        events.DrainToEnd(ExitDrainTimeout);
        ReportDrops(probe, sink, final: true);
        sink.Flush();
        Debug("events lost: " + probe.LossBreakdown);
    }

    private static void ReportDrops(TcpStatesProbe probe, IEventSink sink, bool final = false)
    {
        ulong drops = probe.TakeDrops(final);
        if (drops > 0) sink.OnLost(-1, drops);
    }

    /// <summary>How long the exit waits for records the programs were still writing when they were detached (microseconds
    /// at most: this bounds a wait that never ends).</summary>
    private static readonly TimeSpan ExitDrainTimeout = TimeSpan.FromSeconds(1);

    /// <summary>How often the read loop reads the loss counts while events flow (at every drain once they stop).</summary>
    private static readonly TimeSpan LossReadInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>What this host lacks and how the tool does without it: one line, always.</summary>
    private static void Notice(string message) => Console.Error.WriteLine("tcpstates: " + message);

    /// <summary>TCPSTATES_DEBUG=1 shows how the tool attached; the output itself stays as the original's.</summary>
    private static void Debug(string message)
    {
        if (Environment.GetEnvironmentVariable("TCPSTATES_DEBUG") is "1" or "true")
            Console.Error.WriteLine("tcpstates: debug: " + message);
    }
}
