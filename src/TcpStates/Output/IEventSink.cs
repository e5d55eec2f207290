namespace TcpStates.Output;

/// <summary>Where the trace loop hands what it reads. Called from one thread.</summary>
public interface IEventSink
{
    /// <summary>Once the program is attached, before the first poll: prints the header.</summary>
    void Start();

    /// <summary>One record from the ring (a <see cref="TcpStateEvent"/>); the span is only valid during the call.</summary>
    void OnEvent(ReadOnlySpan<byte> record);

    /// <summary>The kernel dropped <paramref name="count"/> events (ring full); cpu is -1 for the BPF ring buffer.</summary>
    void OnLost(int cpu, ulong count);

    /// <summary>After each batch of events. False when the output is closed and the loop should stop.</summary>
    bool Flush();
}
