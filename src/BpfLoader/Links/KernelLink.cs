using BpfLoader.Interop;

namespace BpfLoader.Links;

/// <summary>A link this process did not create: opened from a pin, an id or another fd (<see cref="Pinning.BpfPins"/>).</summary>
public sealed class KernelLink : BpfLink
{
    internal KernelLink(FileDescriptor fd, string target) : base(fd, target) { }
}
