using System.Runtime.ExceptionServices;
using BpfLoader.Interop;
using BpfLoader.Object;
using BpfLoader.Object.Btf;

namespace BpfLoader.Kernel;

/// <summary>
/// The running kernel's BTF being read on a thread of its own (<see cref="KernelBtf.LoadInBackground"/>), so that
/// indexing its 100k+ types overlaps other start-up work. A plain thread, not a task: the tool pulls in no task
/// machinery for it. Where no thread can be started, the read is done at once, on the caller's. Disposing it waits
/// for the read and unmaps what it read.
/// </summary>
public sealed class KernelBtfLoad : IDisposable
{
    private readonly Thread? _thread;   // null where no thread could be started: read by the constructor then
    private BtfSpec? _spec;
    private ExceptionDispatchInfo? _failure;
    private bool _disposed;

    internal KernelBtfLoad(string path)
    {
        _thread = HelperThread.TryStart(() => Read(path), "kernel btf");
        if (_thread is null)
            Read(path);
    }

    private void Read(string path)
    {
        try
        {
            _spec = KernelBtf.Load(path);
        }
        catch (Exception e)   // whatever it is, it belongs to the thread that asks for the spec, not to this one
        {
            _failure = ExceptionDispatchInfo.Capture(e);
        }
    }

    /// <summary>The spec, once read (this waits for it); the read's exception when it failed. It stays this object's:
    /// disposed with it.</summary>
    /// <exception cref="BpfException">The kernel's BTF could not be read or parsed.</exception>
    public BtfSpec Spec
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _thread?.Join();
            _failure?.Throw();
            return _spec!;
        }
    }

    /// <summary>Waits for the read and unmaps what it read; a failure is not thrown again (it was thrown to whoever
    /// asked for <see cref="Spec"/>, or nobody needs the spec now).</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _thread?.Join();
        _spec?.Dispose();   // a failure, if any, is not thrown again
    }
}
