using System.Runtime.InteropServices;
using System.Text;
using BpfLoader.Errors;

namespace BpfLoader.Interop;

/// <summary>
/// Runs a load command with a log buffer that grows until the whole log fits. The kernel answers
/// ENOSPC when the log was truncated (the object itself may still be fine), so we double and retry.
/// </summary>
internal static unsafe class KernelLog
{
    public const uint InitialSize = 64 * 1024;
    // Kernels before 5.2 cap log_size below 16 MiB; later ones accept more, but a longer log helps no one.
    public const uint MaxSize = 16 * 1024 * 1024 - 1;

    /// <summary>
    /// Loads with the given log level; returns the fd or -errno, and the log text (possibly truncated
    /// to the last <see cref="MaxSize"/> bytes if it never fit).
    /// </summary>
    public static int Load<TAttr>(BpfCommand command, ref TAttr attr, uint level, out string log)
        where TAttr : unmanaged, IKernelLogAttr
    {
        uint size = InitialSize;
        while (true)
        {
            byte* buffer = (byte*)NativeMemory.AllocZeroed(size);
            try
            {
                attr.SetLog((ulong)buffer, size, level);
                int result = BpfSyscall.TryInvoke(command, ref attr);
                attr.SetLog(0, 0, 0);
                bool truncated = result == -Errno.ENOSPC;
                if (truncated && size < MaxSize)
                {
                    size = size >= MaxSize / 2 ? MaxSize : size * 2;
                    continue;
                }
                log = Decode(new ReadOnlySpan<byte>(buffer, (int)size));
                return result;
            }
            finally
            {
                NativeMemory.Free(buffer);
            }
        }
    }

    private static string Decode(ReadOnlySpan<byte> buffer)
    {
        int end = buffer.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? buffer : buffer[..end]);
    }
}
