namespace BpfLoader.Rings;

/// <summary>
/// Receives one record exactly as the BPF program wrote it. The span points into the ring (or into a
/// reassembly buffer) and is valid only during the call: copy what must outlive it.
/// Through a perf event array the kernel pads the bytes so that 4 + length is a multiple of 8
/// (8 bytes output arrive as 12); through a ring buffer the length is exact.
/// </summary>
public delegate void RecordHandler(ReadOnlySpan<byte> record);

/// <summary>The kernel dropped <paramref name="count"/> records on <paramref name="cpu"/> because its ring was full.</summary>
public delegate void LostRecordsHandler(int cpu, ulong count);
