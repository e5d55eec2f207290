using System.Buffers;

namespace BpfLoader.Interop;

/// <summary>
/// A <see cref="MemoryMapping"/> as <see cref="Memory{T}"/>, so parsers written over spans read mapped
/// files in place. Disposing it unmaps; a span asked for afterwards throws instead of faulting.
/// </summary>
internal sealed unsafe class MappedMemory : MemoryManager<byte>
{
    private readonly MemoryMapping _mapping;

    public MappedMemory(MemoryMapping mapping) => _mapping = mapping;

    public override Span<byte> GetSpan() => new(_mapping.Address, checked((int)_mapping.Length));

    // The pages never move: pinning is a pointer.
    public override MemoryHandle Pin(int elementIndex = 0) => new(_mapping.Address + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing) => _mapping.Dispose();
}
