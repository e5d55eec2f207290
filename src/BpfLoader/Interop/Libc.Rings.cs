namespace BpfLoader.Interop;

internal static partial class Libc
{
    internal const int EfdCloexec = OCloexec, EfdNonblock = ONonblock;   // eventfd(2) flags
    internal const int EpollCloexec = OCloexec;
    internal const long BpfRingbufMapType = 27;                          // BPF_MAP_TYPE_RINGBUF
}
