using BpfLoader.Maps;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;

namespace BpfLoader.Tests.Kernel;

/// <summary>
/// A program that adds one to element 0 of a one-element u64 array on every run, and that array:
/// the kernel tests' way to see whether an attachment fires.
/// </summary>
internal sealed class CountingProgram : IDisposable
{
    public BpfMap Counter { get; }
    public BpfProgram Program { get; }

    public CountingProgram(string name, BpfProgramType type, BpfAttachType expectedAttachType = BpfAttachType.None, uint attachBtfId = 0)
    {
        Counter = BpfMap.Create(new MapCreateOptions { Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1, Name = name });
        try
        {
            Program = BpfProgram.Load(new ProgramLoadOptions
            {
                Type = type,
                ExpectedAttachType = expectedAttachType,
                AttachBtfId = attachBtfId,
                Name = name,
                Instructions = Instructions(Counter.Fd.Value),
            });
        }
        catch
        {
            Counter.Dispose();
            throw;
        }
    }

    public ulong Count => Counter.TryLookup(0u, out ulong value) ? value : throw new InvalidOperationException("array element 0 missing");

    /// <summary>key = 0 on the stack; v = lookup(counter, &amp;key); if (v) atomic v += 1; return 0.</summary>
    public static byte[] Instructions(int mapFd) => new Asm()
        .StoreWordImm(Asm.R10, -4, 0)
        .MovReg(Asm.R2, Asm.R10)
        .AddImm(Asm.R2, -4)
        .LoadMapFd(Asm.R1, mapFd)
        .Call(Asm.HelperMapLookupElem)
        .JumpIfEqualImm(Asm.R0, 0, 2)
        .MovImm(Asm.R1, 1)
        .AtomicAdd64(Asm.R0, 0, Asm.R1)
        .MovImm(Asm.R0, 0)
        .Exit()
        .ToArray();

    public void Dispose()
    {
        Program.Dispose();
        Counter.Dispose();
    }
}
