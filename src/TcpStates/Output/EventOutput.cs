using System.Globalization;
using System.Runtime.InteropServices;
using TcpStates.Posix;

namespace TcpStates.Output;

/// <summary>The tool's sink: the printer, the journal when -Y is given, lost-event reports on stderr.</summary>
public sealed class EventOutput : IEventSink
{
    private readonly EventPrinter _printer;
    private readonly JournalWriter? _journal;
    private readonly TextWriter _errors;
    private const long JournalReportIntervalMs = 1000;
    /// <summary>How long the exit waits for a journal that does not read before its entries count as lost.</summary>
    public const int JournalDrainMs = 1000;
    private readonly SocketClock _clock = new();
    private TcpStateEvent _ipv4;   // every compact record is expanded into this one (see Ipv4TcpStateEvent.ExpandInto)
    private ulong _journalReported;
    private long _journalReportedAt = long.MinValue / 2;

    public EventOutput(EventPrinter printer, JournalWriter? journal, TextWriter errors)
    {
        _printer = printer;
        _journal = journal;
        _errors = errors;
    }

    /// <summary>-j with -Y: each journal entry's MESSAGE is the event's JSON line (without its newline).</summary>
    public JsonEventFormatter? JournalJson { get; init; }

    /// <summary>Records shorter than an event; not expected, counted rather than printed as garbage.</summary>
    public ulong ShortRecords { get; private set; }

    public void Start()
    {
        _printer.WriteHeader();
        _printer.Flush();
    }

    public void OnEvent(ReadOnlySpan<byte> record)
    {
        if (record.Length == Ipv4TcpStateEvent.Size)
        {
            ref readonly Ipv4TcpStateEvent c = ref MemoryMarshal.AsRef<Ipv4TcpStateEvent>(record);
            c.ExpandInto(ref _ipv4, _clock.Advance(c.SkAddr, c.TimestampNs, c.OldState, c.NewState));
            Print(_ipv4);
            return;
        }
        if (record.Length < TcpStateEvent.Size)
        {
            ShortRecords++;
            return;
        }
        // Read in place (the kernel writes host order; we run on little-endian hosts only).
        ref readonly TcpStateEvent e = ref MemoryMarshal.AsRef<TcpStateEvent>(record[..TcpStateEvent.Size]);
        if (e.DeltaUs != TcpStateEvent.DeltaByReader)
        {
            Print(e);
            return;
        }
        // The ring is read-only: the time in state goes into a copy (104 bytes on the stack).
        TcpStateEvent timed = e;
        timed.DeltaUs = _clock.Advance(e.SkAddr, e.TimestampNs, e.OldState, e.NewState);
        Print(timed);
    }

    private void Print(in TcpStateEvent e)
    {
        _printer.Write(e);
        if (_journal is not null)
        {
            if (JournalJson is null)
                _journal.Write(e);
            else
                _journal.Write(e, JournalJson.Format(e)[..^1]);
        }
    }

    public void OnLost(int cpu, ulong count)
    {
        // libbpf-tools' wording; the ring buffer has no CPU to name.
        string text = cpu < 0
            ? string.Create(CultureInfo.InvariantCulture, $"lost {count} events")
            : string.Create(CultureInfo.InvariantCulture, $"lost {count} events on CPU #{cpu}");
        _errors.WriteLine(text);
        _errors.Flush();
    }

    /// <summary>Writes what is buffered (and what waits for the journal); reports entries the journal did not take, at most once a second.</summary>
    public bool Flush()
    {
        _journal?.Pump();
        if (_journal is not null && _journal.FailedEntries > _journalReported
            && Environment.TickCount64 - _journalReportedAt >= JournalReportIntervalMs)
            ReportJournalLosses();
        return _printer.Flush();
    }

    /// <summary>At exit: what waits for the journal gets <see cref="JournalDrainMs"/> more; what it did not take and was not reported yet is reported.</summary>
    public void ReportJournalLosses()
    {
        _journal?.Drain(JournalDrainMs);
        if (_journal is null || _journal.FailedEntries <= _journalReported)
            return;
        ulong count = _journal.FailedEntries - _journalReported;
        _journalReported = _journal.FailedEntries;
        _journalReportedAt = Environment.TickCount64;
        int errno = _journal.LastError;
        string reason = errno == SystemError.EAGAIN
            ? "it is not reading its socket"
            : $"{SystemError.Name(errno)} ({SystemError.Describe(errno)})";
        _errors.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lost {count} events to the journal: {reason}"));
        _errors.Flush();
    }
}
