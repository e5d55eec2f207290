using BpfLoader.Maps;
using BpfLoader.Object;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Externs;

namespace BpfLoader;

/// <summary>How <see cref="Collection.Load"/> turns a spec into kernel objects.</summary>
public sealed class CollectionOptions
{
    /// <summary>The programs to load, by name; null loads them all. Maps are created only if a loaded program uses them.</summary>
    public IReadOnlyCollection<string>? Programs { get; init; }

    /// <summary>The BTF to relocate against and to find attach targets in; null reads the running kernel's when needed.</summary>
    public BtfSpec? KernelBtf { get; init; }

    /// <summary>
    /// The running kernel's BTF already being read (<see cref="Kernel.KernelBtf.LoadInBackground"/>), used where
    /// <see cref="KernelBtf"/> is null; it stays the caller's to dispose.
    /// </summary>
    public Kernel.KernelBtfLoad? KernelBtfLoading { get; init; }

    /// <summary>
    /// False (default, as libbpf): a CO-RE relocation whose target the kernel lacks is poisoned, and the
    /// program fails to load only if the verifier finds the poisoned instruction reachable. True: such a
    /// relocation fails the load at once with <see cref="CoreRelocationException"/>.
    /// </summary>
    public bool StrictCoreRelocations { get; init; }

    /// <summary>The kernel configuration <c>__kconfig</c> externs read; null reads the running kernel's when the object has any.</summary>
    public KernelConfig? KernelConfig { get; init; }

    /// <summary>
    /// Called once the maps are created (by name), before the programs are relocated and loaded, and so before
    /// <see cref="KernelBtfLoading"/> is waited for: work that needs the maps but not the programs (mapping a ring,
    /// say) overlaps that read. When the load fails after it, the maps are closed and the exception thrown: undo
    /// what the callback did. An exception it throws fails the load.
    /// </summary>
    public Action<IReadOnlyDictionary<string, BpfMap>>? MapsCreated { get; init; }

    /// <summary>Verifier log level for every program (0: a log only when a load fails).</summary>
    public uint LogLevel { get; init; }

    /// <summary>
    /// The bpffs directory for maps whose definition says <c>pinning = LIBBPF_PIN_BY_NAME</c>: such a map
    /// is reused from DIR/NAME when a compatible one is pinned there, else created and pinned there.
    /// Null means <see cref="Pinning.BpfPins.DefaultPath"/> (/sys/fs/bpf), as libbpf.
    /// </summary>
    public string? PinPath { get; init; }
}
