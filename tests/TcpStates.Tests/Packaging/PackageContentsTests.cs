using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Packaging;

/// <summary>What packaging/build puts in the .deb and the tarball, read back with dpkg-deb and tar.</summary>
public sealed partial class PackageContentsTests
{
    private static readonly string[] ExpectedFiles =
    [
        "-rwxr-xr-x ./usr/sbin/tcpstates",
        "-rw-r--r-- ./usr/share/man/man8/tcpstates.8.gz",
        "-rw-r--r-- ./usr/lib/systemd/system/tcpstates.service",
        "-rw-r--r-- ./usr/share/doc/tcpstates/copyright",
        "-rw-r--r-- ./usr/share/doc/tcpstates/changelog.gz",
    ];

    [Fact]
    public void The_control_file_names_the_project_s_version_the_architecture_and_the_libc_floor()
    {
        Dictionary<string, string> control = Control(BuiltPackage.Deb);
        Assert.Equal("tcpstates", control["Package"]);
        string informational = typeof(TcpStates.Output.JournalWriter).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(informational.Split('+')[0], control["Version"]);
        string arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "amd64",
            Architecture.Arm64 => "arm64",
            var other => throw new PlatformNotSupportedException(other.ToString()),
        };
        Assert.Equal(arch, control["Architecture"]);
        Assert.Equal("admin", control["Section"]);
        Assert.Contains("@", control["Maintainer"]);
        Assert.StartsWith("trace TCP session state changes", control["Description"]);
        Assert.Equal("libbpf-tools", control["Conflicts"]);   // both ship /usr/sbin/tcpstates

        // The floor is the newest glibc symbol version the packaged binary asks for.
        using var dir = new TempDirectory();
        Assert.Equal(0, ProcessResult.Run("dpkg-deb", ["-x", BuiltPackage.Deb, dir.Path], TimeSpan.FromMinutes(1)).ExitCode);
        ProcessResult versions = ProcessResult.Run("readelf", ["-V", "--wide", Path.Combine(dir.Path, "usr/sbin/tcpstates")], TimeSpan.FromMinutes(1));
        Version newest = GlibcVersion().Matches(versions.Stdout).Select(m => Version.Parse(m.Groups[1].Value)).Max()!;
        Assert.Equal($"libc6 (>= {newest})", control["Depends"]);
        Assert.InRange(int.Parse(control["Installed-Size"]), 1000, 100_000);
    }

    [Fact]
    public void The_package_holds_the_binary_man_page_unit_and_docs_with_their_modes_owned_by_root()
    {
        ProcessResult list = ProcessResult.Run("dpkg-deb", ["-c", BuiltPackage.Deb], TimeSpan.FromMinutes(1));
        Assert.Equal(0, list.ExitCode);
        string[] files = list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f[0][0] == '-')
            .Select(f => { Assert.Equal("root/root", f[1]); return f[0] + " " + f[^1]; })
            .ToArray();
        Assert.Equal(ExpectedFiles.Order(), files.Order());
    }

    [Fact]
    public void The_md5sums_match_every_file_of_the_package()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, ProcessResult.Run("dpkg-deb", ["-R", BuiltPackage.Deb, dir.Path], TimeSpan.FromMinutes(1)).ExitCode);
        string[] sums = File.ReadAllLines(Path.Combine(dir.Path, "DEBIAN", "md5sums"));
        Assert.Equal(ExpectedFiles.Select(f => f.Split(' ')[1][2..]).Order(), sums.Select(l => l.Split("  ")[1]).Order());
        ProcessResult check = ProcessResult.Run("bash", ["-c", $"cd '{dir.Path}' && md5sum --check --strict DEBIAN/md5sums"], TimeSpan.FromMinutes(1));
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
        foreach (string script in new[] { "postinst", "prerm", "postrm" })
        {
            ProcessResult syntax = ProcessResult.Run("sh", ["-n", Path.Combine(dir.Path, "DEBIAN", script)], TimeSpan.FromMinutes(1));
            Assert.True(syntax.ExitCode == 0, script + ": " + syntax.Stderr);
        }
    }

    [Fact]
    public void The_tarball_holds_the_same_files_with_the_license_and_readme()
    {
        using var deb = new TempDirectory();
        using var tar = new TempDirectory();
        Assert.Equal(0, ProcessResult.Run("dpkg-deb", ["-x", BuiltPackage.Deb, deb.Path], TimeSpan.FromMinutes(1)).ExitCode);
        Assert.Equal(0, ProcessResult.Run("tar", ["-xzf", BuiltPackage.Tarball, "-C", tar.Path], TimeSpan.FromMinutes(1)).ExitCode);
        string top = Assert.Single(Directory.GetDirectories(tar.Path));
        Assert.Equal("tcpstates-" + Control(BuiltPackage.Deb)["Version"], Path.GetFileName(top));
        foreach (string file in ExpectedFiles.Select(f => f.Split(' ')[1][2..]))
            Assert.Equal(File.ReadAllBytes(Path.Combine(deb.Path, file)), File.ReadAllBytes(Path.Combine(top, file)));
        Assert.Equal(File.ReadAllText(Path.Combine(PublishedTool.RepoRoot(), "LICENSE")), File.ReadAllText(Path.Combine(top, "LICENSE")));
        Assert.True(File.Exists(Path.Combine(top, "README.md")));
    }

    [Fact]
    public void The_copyright_file_gives_MIT_for_the_code_and_the_BPF_program_s_own_license()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, ProcessResult.Run("dpkg-deb", ["-x", BuiltPackage.Deb, dir.Path], TimeSpan.FromMinutes(1)).ExitCode);
        string copyright = File.ReadAllText(Path.Combine(dir.Path, "usr/share/doc/tcpstates/copyright"));
        Assert.Contains("Files: *\nCopyright: 2026 the tcpstates (C#) authors\nLicense: MIT\n", copyright);
        Assert.Contains("Files: bpf/*\n", copyright);
        Assert.Contains("License: GPL-2.0 or BSD-3-Clause\n", copyright);

        // The BPF program says the same of itself: its SPDX line and the license string the kernel checks.
        string program = File.ReadAllText(Path.Combine(PublishedTool.RepoRoot(), "bpf", "tcpstates.bpf.c"));
        Assert.StartsWith("// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause\n", program);
        Assert.Contains("SEC(\"license\") = \"Dual BSD/GPL\";", program);
        Assert.Contains("\"Dual BSD/GPL\"", copyright);
        Assert.StartsWith("MIT License\n", File.ReadAllText(Path.Combine(PublishedTool.RepoRoot(), "LICENSE")));
    }

    [Fact]
    public void The_build_refuses_a_RID_with_no_Debian_architecture_and_an_unknown_argument_in_one_line()
    {
        string build = Path.Combine(PublishedTool.RepoRoot(), "packaging", "build");
        ProcessResult musl = ProcessResult.Run(build, ["--rid", "linux-musl-x64"], TimeSpan.FromMinutes(1));
        Assert.Equal(1, musl.ExitCode);
        Assert.Equal("packaging/build: no Debian architecture for RID linux-musl-x64 (glibc Linux RIDs only: linux-x64, linux-arm64, linux-arm)\n", musl.Stderr);
        ProcessResult unknown = ProcessResult.Run(build, ["--deb-only"], TimeSpan.FromMinutes(1));
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal("packaging/build: unknown argument: --deb-only\n", unknown.Stderr);
    }

    /// <summary>dpkg-deb -f: the control fields (a continued field keeps its first line only).</summary>
    internal static Dictionary<string, string> Control(string deb)
    {
        ProcessResult fields = ProcessResult.Run("dpkg-deb", ["-f", deb], TimeSpan.FromMinutes(1));
        Assert.Equal(0, fields.ExitCode);
        return fields.Stdout.Split('\n')
            .Where(l => l.Length > 0 && !char.IsWhiteSpace(l[0]))
            .Select(l => l.Split(": ", 2))
            .ToDictionary(p => p[0], p => p[1]);
    }

    [GeneratedRegex(@"GLIBC_([0-9]+\.[0-9]+(?:\.[0-9]+)?)")]
    private static partial Regex GlibcVersion();
}
