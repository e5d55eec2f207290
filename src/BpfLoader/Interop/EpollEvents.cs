using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BpfLoader.Interop;

/// <summary>
/// struct epoll_event arrays in the running architecture's layout: the kernel declares the struct packed
/// on x86-64 only (__EPOLL_PACKED), so the data word sits at offset 4 there and at 8 elsewhere.
/// </summary>
internal static unsafe class EpollEvents
{
    /// <summary>The layout epoll_wait and epoll_ctl use on this machine.</summary>
    public static EpollEventLayout Layout { get; } = LayoutFor(RuntimeInformation.ProcessArchitecture);

    public static EpollEventLayout LayoutFor(Architecture architecture) => architecture == Architecture.X64
        ? new(sizeof(PackedEpollEvent), (int)Marshal.OffsetOf<PackedEpollEvent>(nameof(PackedEpollEvent.Data)))
        : new(sizeof(EpollEvent), (int)Marshal.OffsetOf<EpollEvent>(nameof(EpollEvent.Data)));

    /// <summary>Writes event <paramref name="index"/> of the array at <paramref name="events"/>.</summary>
    public static void Write(byte* events, int index, uint mask, ulong data)
    {
        byte* e = events + index * Layout.Size;
        Unsafe.WriteUnaligned(e, mask);
        Unsafe.WriteUnaligned(e + Layout.DataOffset, data);
    }

    /// <summary>The data word of event <paramref name="index"/> of the array at <paramref name="events"/>.</summary>
    public static ulong Data(byte* events, int index) =>
        Unsafe.ReadUnaligned<ulong>(events + index * Layout.Size + Layout.DataOffset);
}

/// <summary>The size of one struct epoll_event and the offset of its data word.</summary>
internal readonly record struct EpollEventLayout(int Size, int DataOffset);

/// <summary>struct epoll_event on x86-64: packed.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct PackedEpollEvent
{
    public uint Events;
    public ulong Data;
}

/// <summary>struct epoll_event on every other architecture: naturally aligned.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct EpollEvent
{
    public uint Events;
    public ulong Data;
}
