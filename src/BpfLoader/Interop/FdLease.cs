namespace BpfLoader.Interop;

/// <summary>
/// Holds a reference on an optional fd while its number sits in a syscall attr, so a concurrent
/// Dispose cannot close (and the kernel reuse) the number mid-call. A null fd reads as 0.
/// </summary>
internal ref struct FdLease
{
    private readonly FileDescriptor? _fd;
    private bool _added;

    public FdLease(FileDescriptor? fd)
    {
        _fd = fd;
        fd?.DangerousAddRef(ref _added);
    }

    public readonly uint Value => _fd is null ? 0 : (uint)_fd.Value;

    public void Dispose()
    {
        if (_added)
            _fd!.DangerousRelease();
        _added = false;
    }
}
