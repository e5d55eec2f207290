using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using TcpStates.Cli;
using TcpStates.Output;
using TcpStates.Tests.EndToEnd;
using TcpStates.Tests.Output;

namespace TcpStates.Tests.Packaging;

/// <summary>tcpstates(8) as packaged: it renders without a warning, and documents what the tool really has.</summary>
public sealed partial class ManPageTests
{
    /// <summary>The flags of issue 12's contract (FLEET_CONTRACT.md), documented whether or not the help lists them yet.</summary>
    private static readonly string[] ContractFlags = ["-j", "--json", "-C", "--containers", "--netns", "--cgroup"];

    private static readonly string[] JsonKeys =
        ["ts_ns", "time", "ts", "skaddr", "pid", "comm", "family", "laddr", "lport", "raddr", "rport", "oldstate", "newstate", "ms", "netns", "cgroup_id", "cgroup"];

    private static readonly string[] Columns =
        ["TIME", "TIME(s)", "SKADDR", "C-PID", "C-COMM", "IP", "LADDR", "LPORT", "RADDR", "RPORT", "OLDSTATE", "NEWSTATE", "MS", "NETNS", "CGROUP"];

    [Fact]
    public void The_packaged_page_renders_without_warnings()
    {
        using var dir = new TempDirectory();
        string page = PackagedPage(dir);
        // As the brief gives it: man's own pipeline, warnings on, the formatted page thrown away.
        ProcessResult man = ProcessResult.Run("bash", ["-c", "man --warnings -E UTF-8 -l -Tutf8 -Z \"$0\" 2>&1 >/dev/null", page], TimeSpan.FromMinutes(1));
        Assert.Equal(0, man.ExitCode);
        Assert.Equal("", man.Stdout + man.Stderr);
        ProcessResult groff = ProcessResult.Run("groff", ["-man", "-ww", "-z", UnzippedPage(dir)], TimeSpan.FromMinutes(1));
        Assert.Equal(0, groff.ExitCode);
        Assert.Equal("", groff.Stdout + groff.Stderr);
    }

    [Fact]
    public void The_warning_check_catches_a_broken_page()
    {
        using var dir = new TempDirectory();
        string broken = Path.Combine(dir.Path, "broken.8");
        File.WriteAllText(broken, File.ReadAllText(UnzippedPage(dir)).Replace(".SH OPTIONS\n", ".SH OPTIONS\n.XX undefined\n", StringComparison.Ordinal));
        ProcessResult man = ProcessResult.Run("bash", ["-c", "man --warnings -E UTF-8 -l -Tutf8 -Z \"$0\" 2>&1 >/dev/null", broken], TimeSpan.FromMinutes(1));
        Assert.Contains("warning", man.Stdout + man.Stderr);
    }

    [Fact]
    public void Every_flag_of_the_help_and_of_the_contract_is_documented()
    {
        string help = HelpText.Full[HelpText.Full.IndexOf("optional arguments:", StringComparison.Ordinal)..HelpText.Full.IndexOf("examples:", StringComparison.Ordinal)];
        string[] flags = Flag().Matches(help).Select(m => m.Value).Concat(ContractFlags).Distinct().ToArray();
        Assert.Contains("--journal", flags);
        string text = RenderedText();
        Assert.All(flags, f => Assert.Matches($@"(?<![\w-]){Regex.Escape(f)}(?![\w-])", text));
    }

    [Fact]
    public void Every_column_JSON_key_and_journal_field_is_documented()
    {
        string text = RenderedText();
        Assert.All(Columns, c => Assert.Matches($@"(?<![\w-]){Regex.Escape(c)}(?![\w-])", text));
        Assert.All(JsonKeys, k => Assert.Matches($@"(?<![\w-]){Regex.Escape(k)}(?![\w-])", text));
        // The fields JournalWriter really sends, IPv4 and IPv6, OBJECT_COMM included (sent when not root).
        var fields = new HashSet<string>();
        foreach (TcpStateEvent e in new[] { EventFactory.Create(), EventFactory.Create(source: "::1", destination: "::1") })
        {
            var datagram = new byte[2048];
            int length = JournalWriter.Encode(e, includeCommand: true, datagram);
            foreach (string line in Encoding.UTF8.GetString(datagram, 0, length).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                fields.Add(line.Split('=')[0]);
        }
        Assert.Contains("OBJECT_TCP_SPAN_TIME", fields);
        Assert.All(fields, f => Assert.Matches($@"(?<![\w-]){Regex.Escape(f)}(?![\w-])", text));
    }

    [Fact]
    public void The_environment_losses_and_the_C_PID_caveat_are_documented()
    {
        string text = RenderedText();
        // Every TCPSTATES_* variable the tool's source reads.
        string src = Path.Combine(PublishedTool.RepoRoot(), "src");
        string[] variables = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => EnvironmentVariable().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .Distinct().ToArray();
        Assert.Contains("TCPSTATES_DEBUG", variables);
        Assert.Contains("TCPSTATES_ATTACH", variables);
        Assert.Contains("TCPSTATES_TRANSPORT", variables);
        Assert.All(variables, v => Assert.Contains(v, text));
        Assert.Contains("lost N events", text);
        Assert.Contains("softirq", text);
        Assert.Contains("C-PID and C-COMM are the process on CPU when the state changed", text);
        Assert.Contains("tcpstates.service", text);
        Assert.DoesNotContain("@VERSION@", text);
        Assert.DoesNotContain("@DATE@", text);
    }

    /// <summary>The page as installed: extracted from the .deb, still gzip-compressed.</summary>
    private static string PackagedPage(TempDirectory dir)
    {
        string page = Path.Combine(dir.Path, "usr/share/man/man8/tcpstates.8.gz");
        if (!File.Exists(page))
            Assert.Equal(0, ProcessResult.Run("dpkg-deb", ["-x", BuiltPackage.Deb, dir.Path], TimeSpan.FromMinutes(1)).ExitCode);
        return page;
    }

    private static string UnzippedPage(TempDirectory dir)
    {
        string page = Path.Combine(dir.Path, "tcpstates.8");
        using (var gz = new GZipStream(File.OpenRead(PackagedPage(dir)), CompressionMode.Decompress))
        using (FileStream output = File.Create(page))
            gz.CopyTo(output);
        return page;
    }

    /// <summary>The page as plain ASCII, on long lines without hyphenation, blanks collapsed.</summary>
    private static string RenderedText()
    {
        using var dir = new TempDirectory();
        ProcessResult text = ProcessResult.Run("groff", ["-man", "-Tascii", "-P-cbou", "-rHY=0", "-rLL=250n", UnzippedPage(dir)], TimeSpan.FromMinutes(1));
        Assert.Equal(0, text.ExitCode);
        return Blanks().Replace(text.Stdout, " ");
    }

    [GeneratedRegex(@"(?<![\w-])--?[A-Za-z0-9][a-z0-9-]*")]
    private static partial Regex Flag();

    [GeneratedRegex("\"(TCPSTATES_[A-Z_]+)\"")]
    private static partial Regex EnvironmentVariable();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Blanks();
}
