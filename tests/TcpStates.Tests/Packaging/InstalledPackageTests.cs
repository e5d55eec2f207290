using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Packaging;

/// <summary>The .deb installed with dpkg (into a throwaway copy of this machine, see <see cref="InstalledRoot"/>).</summary>
[Collection("tracer")]
public sealed class InstalledPackageTests
{
    [KernelFact]
    public void Dpkg_installs_it_the_binary_runs_the_man_page_is_found_and_dpkg_removes_it()
    {
        ProcessResult result = InstalledRoot.Shell("""
            set -e
            dpkg-query -W -f='status=${Status} version=${Version}\n' tcpstates
            /usr/sbin/tcpstates -h > /tmp/help; echo "help-exit=$?"
            head -n 1 /tmp/help
            echo "man=$(man -w tcpstates)"
            dpkg -r tcpstates > /dev/null 2>&1
            echo "after-remove=$(ls /usr/sbin/tcpstates /usr/share/man/man8/tcpstates.8.gz /usr/lib/systemd/system/tcpstates.service 2>/dev/null | wc -l)"
            dpkg -P tcpstates > /dev/null 2>&1
            echo "after-purge=$(dpkg-query -W -f='${Status}' tcpstates 2>/dev/null || echo none)"
            """);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
        string[] lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.Equal($"status=install ok installed version={PackageContentsTests.Control(BuiltPackage.Deb)["Version"]}", lines[0]);
        Assert.Equal("help-exit=0", lines[1]);
        Assert.StartsWith("usage: tcpstates [-h] ", lines[2]);
        Assert.Equal("man=/usr/share/man/man8/tcpstates.8.gz", lines[3]);
        Assert.Equal("after-remove=0", lines[4]);
        Assert.Equal("after-purge=none", lines[5]);
    }
}
