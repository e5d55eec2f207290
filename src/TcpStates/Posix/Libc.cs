using System.Runtime.InteropServices;

namespace TcpStates.Posix;

/// <summary>The tool's own libc calls: stdout writes, the journal's socket, signal dispositions, the read loop's priority.</summary>
internal static unsafe partial class Libc
{
    public const int FGetFd = 1, FSetPipeSz = 1031, FGetPipeSz = 1032;
    public const short PollIn = 0x001, PollOut = 0x004, PollErr = 0x008, PollHup = 0x010, PollNval = 0x020;
    public const int AfUnix = 1, SockDgram = 2, SockNonblock = 0x800, SockCloexec = 0x80000;
    public const int MsgDontwait = 0x40, MsgNosignal = 0x4000;
    public const int SolSocket = 1, SoType = 3;
    public const int EfdCloexec = 0x80000, EfdNonblock = 0x800;
    public const int Sigint = 2, Sigterm = 15;
    public const int PrioProcess = 0;
    public static readonly nint SigDfl = 0, SigIgn = 1;

    public static int Errno => Marshal.GetLastPInvokeError();

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    /// <summary>RWF_NOWAIT: a pipe or socket write that takes what fits now, or fails with EAGAIN, never waits.</summary>
    public const int RwfNowait = 0x08;

    /// <summary>pwritev2 at the descriptor's own position (offset -1), with RWF_ flags.</summary>
    [LibraryImport("libc", EntryPoint = "pwritev2", SetLastError = true)]
    public static partial nint PWriteV2(int fd, IoVec* vectors, int count, long offset, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* address, uint length);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, int* value, uint* length);

    /// <summary>signal(2): sets a disposition and returns the previous one.</summary>
    [LibraryImport("libc", EntryPoint = "signal", SetLastError = true)]
    public static partial nint Signal(int signal, nint handler);

    /// <summary>getpriority(2): a nice value (-20..19); -1 with errno set is an error, -1 with errno 0 the value (the stub
    /// clears errno before the call).</summary>
    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    public static partial int GetPriority(int which, uint who);

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    public static partial int SetPriority(int which, uint who, int nice);

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Returned;
    }
}
