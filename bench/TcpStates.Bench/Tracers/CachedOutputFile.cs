using TcpStates.Bench.Load;

namespace TcpStates.Bench.Tracers;

/// <summary>
/// The file of the <see cref="OutputSink.Cached"/> sink: zeros written through the page cache and synced before the
/// tracer starts, so that its writes land on pages that are there and clean; what it wrote is what comes before the
/// first zero byte (a tracer's text has none).
/// </summary>
internal static class CachedOutputFile
{
    // Room for the longest rows (JSON) of every change a run can cause; a run that writes more grows the file as the
    // File sink does, from there on.
    private const long BytesPerEvent = 256;
    private const long MinBytes = 1 << 20, MaxBytes = 256L << 20;

    /// <summary>The file's size for a run of <paramref name="churn"/>.</summary>
    public static long Size(ChurnOptions churn) =>
        Math.Clamp((long)churn.Count * (churn.ExpectedEventsPerConnection + 2) * BytesPerEvent, MinBytes, MaxBytes);

    /// <summary>Creates <paramref name="path"/> as <paramref name="bytes"/> zeros in the page cache, written back.</summary>
    public static void Prepare(string path, long bytes)
    {
        var zeros = new byte[1 << 20];
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 0);
        for (long done = 0; done < bytes; done += zeros.Length)
            file.Write(zeros, 0, (int)Math.Min(zeros.Length, bytes - done));
        file.Flush(flushToDisk: true);   // no writeback of the zeros during the run
    }

    /// <summary>The tracer's output in <paramref name="path"/>: up to the first zero byte.</summary>
    public static TracerOutputScanner Scan(string path) => TracerOutputScanner.FromFile(path, untilZero: true);
}
