using System.Globalization;

namespace TcpStates.Output;

/// <summary>The tool's sink: the printer, the journal when -Y is given, lost-event reports on stderr.</summary>
public sealed class EventOutput : IEventSink
{
    private readonly EventPrinter _printer;
    private readonly JournalWriter? _journal;
    private readonly TextWriter _errors;

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
        if (!TcpStateEvent.TryRead(record, out TcpStateEvent e))
        {
            ShortRecords++;
            return;
        }
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

    public bool Flush() => _printer.Flush();
}
