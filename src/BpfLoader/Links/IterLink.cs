using BpfLoader.Interop;
using BpfLoader.Object.Uapi;
using BpfLoader.Programs;
using Microsoft.Win32.SafeHandles;

namespace BpfLoader.Links;

/// <summary>
/// A BPF iterator (libbpf's <c>iter/TARGET</c> sections: task, bpf_map, tcp, ...): attached with
/// BPF_LINK_CREATE(BPF_TRACE_ITER); each <see cref="Open"/> (BPF_ITER_CREATE) runs it once over the
/// kernel's objects and reads what it wrote with bpf_seq_write/bpf_seq_printf.
/// </summary>
public sealed class IterLink : BpfLink
{
    private IterLink(FileDescriptor fd, string target) : base(fd, target) { }

    /// <summary>Attaches an iterator program (one loaded from an <c>iter/</c> section).</summary>
    /// <param name="program">A tracing program with the BPF_TRACE_ITER attach type.</param>
    public static IterLink Attach(BpfProgram program)
    {
        RequireType(program, "an iterator", BpfProgramType.Tracing);
        if (program.ExpectedAttachType != BpfAttachType.TraceIter)
            throw new ArgumentException($"{program} is not an iterator (its attach type is {program.ExpectedAttachType})", nameof(program));
        string target = $"iterator {program.Name}";
        return new IterLink(LinkCreate(program, 0, BpfAttachType.TraceIter, target), target);
    }

    /// <summary>A new pass of the iterator: a stream of what the program writes, read to its end.</summary>
    public Stream Open()
    {
        using var lease = new FdLease(Fd);
        var attr = new ObjectFdAttr { Fd = lease.Value };
        int fd = BpfSyscall.Invoke(BpfCommand.IterCreate, ref attr, ToString());
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, bufferSize: 0);
    }

    /// <summary>Runs the iterator once and returns all it wrote, as UTF-8 text.</summary>
    public string ReadAll()
    {
        using Stream s = Open();
        using var reader = new StreamReader(s, System.Text.Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
