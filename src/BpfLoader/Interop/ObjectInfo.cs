namespace BpfLoader.Interop;

/// <summary>BPF_OBJ_GET_INFO_BY_FD into one of the info structs (bpf_prog_info, bpf_map_info).</summary>
internal static unsafe class ObjectInfo
{
    public static void Get<TInfo>(FileDescriptor fd, ref TInfo info, string what) where TInfo : unmanaged
    {
        using var lease = new FdLease(fd);
        fixed (TInfo* p = &info)
        {
            var attr = new ObjGetInfoAttr { BpfFd = lease.Value, InfoLen = (uint)sizeof(TInfo), Info = (ulong)p };
            BpfSyscall.Invoke(BpfCommand.ObjGetInfoByFd, ref attr, what);
        }
    }
}
