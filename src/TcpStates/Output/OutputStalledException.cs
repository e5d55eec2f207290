using TcpStates.Posix;

namespace TcpStates.Output;

/// <summary>The tool was told to stop and its output's reader took nothing for <see cref="DescriptorOutput.StopGraceMs"/>.</summary>
public sealed class OutputStalledException : SystemError
{
    public OutputStalledException()
        : base("write to standard output", EAGAIN)
    {
    }

    /// <summary>Says what happened rather than the errno.</summary>
    public override string Message => "standard output is not being read: stopped without writing the rest";
}
