using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace BpfLoader.Tests.Samples;

/// <summary>
/// The library as a stranger gets it: BpfLoader, and BpfLoader.Object which its pack packs beside it, in a feed
/// folder of its own (a version no cache has seen, a package folder of its own), and samples/ copied out of the
/// repository and built against that feed only, each with its BPF C compiled by the package's own task and headers.
/// </summary>
public sealed class PackedSamples : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "bpfsamples-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly Dictionary<string, string> _built = new();
    private readonly object _lock = new();

    /// <summary>The feed folder the package was packed into.</summary>
    public string Feed => Path.Combine(_root, "feed");

    /// <summary>The version the package was packed with.</summary>
    public string Version { get; } = "0.1.0-samples." + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Output of the pack, or why it failed.</summary>
    public string PackOutput { get; }

    /// <summary>True when the pack succeeded.</summary>
    public bool Packed { get; }

    public PackedSamples()
    {
        Directory.CreateDirectory(_root);
        string repo = RepoRoot();
        // A configuration of its own: other test assemblies build Debug and publish Release meanwhile.
        (int code, string output) = Run("dotnet",
            $"pack \"{repo}/src/BpfLoader\" -c SamplesPack -p:Optimize=true -p:Version={Version} -o \"{Feed}\" --nologo",
            repo);
        PackOutput = output;
        Packed = code == 0;
        if (Packed)
            CopyDirectory(Path.Combine(repo, "samples"), Path.Combine(_root, "samples"));
    }

    /// <summary>Builds one sample against the feed (once) and returns the path of its executable.</summary>
    public string Build(string sample)
    {
        lock (_lock)
        {
            if (_built.TryGetValue(sample, out string? done)) return done;
            Assert.True(Packed, "dotnet pack failed:\n" + PackOutput);
            string dir = Path.Combine(_root, "samples", sample);
            string output = Path.Combine(_root, "out", sample);
            (int code, string log) = Run("dotnet",
                $"build -c Release -p:BpfLoaderVersion={Version} -p:RestoreSources=\"{Feed}\" -o \"{output}\" --nologo",
                dir);
            Assert.True(code == 0, $"building {sample} against the packed BpfLoader failed:\n{log}");
            string exe = Path.Combine(output, sample);
            Assert.True(File.Exists(exe), exe + " missing after the build");
            _built[sample] = exe;
            return exe;
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private (int, string) Run(string file, string args, string dir)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["NUGET_PACKAGES"] = Path.Combine(_root, "packages");
        psi.Environment["MSBUILDNOINPROCNODE"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            string name = Path.GetFileName(dir);
            if (name is "bin" or "obj") continue;
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(from, file);
            if (rel.Split('/').Any(part => part is "bin" or "obj")) continue;
            File.Copy(file, Path.Combine(to, rel));
        }
    }

    private static string RepoRoot()
    {
        string? dir = Path.GetDirectoryName(Assembly.GetExecutingAssembly().Location);
        while (dir is not null && !File.Exists(Path.Combine(dir, "TcpStates.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}

/// <summary>A running sample whose stdout lines the test reads as they come.</summary>
internal sealed class RunningSample : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly SemaphoreSlim _line = new(0);

    public RunningSample(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stdout) _stdout.AppendLine(e.Data);
            _line.Release();
        };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Waits until stdout holds <paramref name="text"/>; false if the sample exits or 60 s pass first (a hang guard).</summary>
    public bool WaitFor(string text)
    {
        DateTime giveUp = DateTime.UtcNow.AddSeconds(60);
        while (!Stdout.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited && !_line.Wait(200)) return Stdout.Contains(text, StringComparison.Ordinal);
            if (DateTime.UtcNow > giveUp) return false;
            _line.Wait(200);
        }
        return true;
    }

    /// <summary>Waits for the sample to exit on its own (60 s at most, then it is killed) and returns its exit code.</summary>
    public int WaitForExit()
    {
        if (!_process.WaitForExit(60_000)) _process.Kill();
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _line.Dispose();
    }
}
