using System.Text.RegularExpressions;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Faults;

/// <summary>What the tool says when it cannot start: errno names and plain words, never .NET's resource keys.</summary>
[Collection("tracer")]
public sealed partial class ErrorMessageFaultTests
{
    [EndToEnd.KernelFact]
    public void Without_kernel_BTF_the_line_names_the_errno_not_a_resource_key()
    {
        using var leftovers = ToolLeftovers.Watch(requireObjects: false);
        // The kernel's BTF hidden from the tool alone, in a mount namespace of its own.
        (int code, string stdout, string stderr) = ToolScript.Run(
            "exec unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec \"$BIN\" -s'");
        string line = Assert.Single(ToolScript.Lines(stderr));
        Assert.StartsWith("tcpstates: ", line);
        Assert.Contains("ENOENT (No such file or directory)", line);
        Assert.DoesNotMatch(ResourceKey(), line);
        Assert.Equal("", stdout);
        Assert.Equal(1, code);
    }

    /// <summary>IO_FileNotFound_FileName, UnauthorizedAccess_IODenied_NoPathName, Arg_OutOfMemoryException ...</summary>
    [GeneratedRegex(@"\b(?:[A-Z][A-Za-z]*_)+[A-Z][a-z]+[A-Za-z]*\b")]
    private static partial Regex ResourceKey();
}
