namespace BpfLoader.Rings;

/// <summary>
/// Receives one record exactly as the BPF program wrote it. The span points into the ring (or into a
/// reassembly buffer) and is valid only during the call: copy what must outlive it.
/// </summary>
public delegate void RecordHandler(ReadOnlySpan<byte> record);

/// <summary>The kernel dropped <paramref name="count"/> records on <paramref name="cpu"/> because its ring was full.</summary>
public delegate void LostRecordsHandler(int cpu, ulong count);
