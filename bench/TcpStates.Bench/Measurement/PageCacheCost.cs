using System.Diagnostics;

namespace TcpStates.Bench.Measurement;

/// <summary>
/// What writing a file costs per 4 KiB page, to a page new to the page cache and to one already in it, in 64 KiB
/// writes as a tracer's: the difference is what the file sink adds over the cached one. On a guest whose free memory
/// goes back to its host (free page reporting), a new page is first faulted in by the host.
/// </summary>
internal static class PageCacheCost
{
    private const int PageSize = 4096;

    /// <summary>Microseconds per page: a new file of <paramref name="bytes"/> in <paramref name="directory"/>, then the
    /// same file written over.</summary>
    public static (double NewPageUs, double CachedPageUs) Measure(string directory, long bytes = 32L << 20)
    {
        string path = Path.Combine(directory, $"tcpstates-bench-pagecache-{Environment.ProcessId}");
        var chunk = new byte[1 << 16];
        Array.Fill(chunk, (byte)'x');
        try
        {
            double newPage = Write(path, bytes, chunk, FileMode.Create);
            double cachedPage = Write(path, bytes, chunk, FileMode.Open);
            return (newPage, cachedPage);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static double Write(string path, long bytes, byte[] chunk, FileMode mode)
    {
        using var file = new FileStream(path, mode, FileAccess.Write, FileShare.None, 0);
        long start = Stopwatch.GetTimestamp();
        for (long done = 0; done < bytes; done += chunk.Length)
            file.Write(chunk, 0, chunk.Length);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return seconds * 1e6 / (bytes / PageSize);
    }
}
