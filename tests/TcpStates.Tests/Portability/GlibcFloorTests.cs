using System.Diagnostics;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Portability;

/// <summary>
/// The published binaries start on glibc 2.28 hosts (RHEL 8, Debian 10) although they are linked
/// against the build machine's newer glibc (build/GlibcFloor.targets): no symbol version above the
/// floor, and libpthread/libdl needed, where glibc before 2.34 keeps the pthread and dl functions.
/// </summary>
public sealed class GlibcFloorTests
{
    private static readonly Version Floor = new(2, 28);

    [Fact]
    public void The_published_x64_binary_needs_no_glibc_version_above_the_floor() =>
        AssertWithinFloor(PublishedTool.Path, ElfVersionNeeds.MachineX8664);

    [Fact]
    public void The_published_arm64_binary_is_aarch64_and_needs_no_glibc_version_above_the_floor() =>
        AssertWithinFloor(PublishedArm64Tool.Path, ElfVersionNeeds.MachineAArch64);

    private static void AssertWithinFloor(string binary, ushort machine)
    {
        ElfVersionNeeds needs = ElfVersionNeeds.Read(binary);
        Assert.Equal(machine, needs.Machine);

        var glibc = needs.Versions.Where(v => ElfVersionNeeds.GlibcVersion(v.Version) is not null).ToList();
        Assert.NotEmpty(glibc);   // a binary with no version needs at all would prove nothing
        var above = glibc.Where(v => ElfVersionNeeds.GlibcVersion(v.Version)! > Floor).ToList();
        Assert.True(above.Count == 0,
            $"{binary} needs {string.Join(", ", above.Select(v => $"{v.Version} ({v.File})"))}, above GLIBC_{Floor}: " +
            "add the functions bound to those versions (objdump -T) to build/GlibcFloor.targets");
        Assert.Contains("libpthread.so.0", needs.Needed);
        Assert.Contains("libdl.so.2", needs.Needed);
    }

    /// <summary>
    /// The start-up wrapper hands the old __libc_start_main an init that runs the executable's
    /// constructors; the host's glibc (2.34 or later) must then run them once, not twice or never.
    /// </summary>
    [Fact]
    public void Constructors_run_exactly_once_through_the_start_up_wrapper()
    {
        string dir = Path.Combine(Path.GetTempPath(), "glibc-floor-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "glibc_floor_symbols.inc"), "GLIBC_FLOOR_COMPAT(pow, \"GLIBC_2.2.5\")\n");
            File.WriteAllText(Path.Combine(dir, "ctor.c"), """
                #include <math.h>
                #include <stdio.h>
                static int early, late;
                __attribute__((constructor(101))) static void first(void) { early++; }
                __attribute__((constructor)) static void second(void) { late += early; }
                int main(int argc, char **argv) { (void)argv; printf("%d %d %g\n", early, late, pow(2.0, argc + 1)); return 0; }
                """);
            string shim = Path.Combine(PublishedTool.RepoRoot(), "build", "GlibcFloor", "glibc_floor.c");
            string exe = Path.Combine(dir, "ctor");
            (int code, string output) = Run(HostClang.Find(), "-O2", "-fPIE", "-pie", "-I", dir, Path.Combine(dir, "ctor.c"), shim,
                "-Wl,--wrap=__libc_start_main", "-Wl,--wrap=pow", "-lm", "-o", exe);
            Assert.True(code == 0, output);

            // The wrapper is in: the binary asks for the old __libc_start_main and pow.
            ElfVersionNeeds needs = ElfVersionNeeds.Read(exe);
            Assert.DoesNotContain(needs.Versions, v => ElfVersionNeeds.GlibcVersion(v.Version) > Floor);

            (code, output) = Run(exe);
            Assert.Equal(0, code);
            Assert.Equal("1 1 4", output.Trim());

            // Where an older glibc is at hand (its libraries unpacked from a libc6 .deb, for instance), the
            // same binary under that glibc's loader: there only the init the wrapper passes runs constructors.
            string? oldGlibc = Environment.GetEnvironmentVariable("TCPSTATES_OLD_GLIBC_LIBDIR");
            if (!string.IsNullOrEmpty(oldGlibc))
            {
                string loader = Directory.GetFiles(oldGlibc, "ld-linux-*.so.*").First();
                (code, output) = Run(loader, "--library-path", oldGlibc, exe);
                Assert.True(code == 0, output);
                Assert.Equal("1 1 4", output.Trim());
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }
}
