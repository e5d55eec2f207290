namespace BpfLoader.Interop;

/// <summary>
/// A background thread for work that it only speeds up: where none can be started (a pids limit, the address space),
/// the caller does that work itself.
/// </summary>
internal static class HelperThread
{
    /// <summary>Starts <paramref name="work"/> on a background thread named <paramref name="name"/>; null when no thread
    /// can be had.</summary>
    public static Thread? TryStart(ThreadStart work, string name)
    {
        var thread = new Thread(work, maxStackSize: 256 * 1024) { IsBackground = true, Name = name };
        try
        {
            thread.Start();
            return thread;
        }
        catch (OutOfMemoryException)
        {
            return null;
        }
    }
}
