using System.Diagnostics;
using System.Reflection;

namespace BpfLoader.Object.Tests.Spec;

/// <summary>The test programs under tests/BpfLoader.Tests/bpf, as embedded by the clang task, and llvm tools to check them against.</summary>
internal static class TestObjects
{
    public const string Multi = "spec_multi.bpf.o";
    public const string TcpStates = "spec_tcpstates.bpf.o";
    public const string CoreRelocs = "core_relocs.bpf.o";
    public const string CoreMissing = "core_missing.bpf.o";

    public static byte[] Bytes(string name)
    {
        using Stream s = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"test object {name} is not embedded");
        var bytes = new byte[s.Length];
        s.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Writes the object to a temporary file for llvm tools; the caller deletes it.</summary>
    public static string TempFile(string name)
    {
        string path = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}-{name}");
        File.WriteAllBytes(path, Bytes(name));
        return path;
    }

    /// <summary>Runs a tool from PATH; null if it is not installed.</summary>
    public static string? Run(string tool, string arguments)
    {
        string? path = Environment.GetEnvironmentVariable("PATH")?.Split(':')
            .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
        if (path is null) return null;
        var psi = new ProcessStartInfo(path, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} {arguments} failed: {stderr.Result}");
        return stdout.Result;
    }

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>llvm-objdump, under any of its versioned names.</summary>
    public static string? ObjDump(string arguments) =>
        Run("llvm-objdump", arguments) ?? Run("llvm-objdump-14", arguments);

    /// <summary>Function symbols (name → (section, byte offset, byte size)) from <c>llvm-objdump -t</c>.</summary>
    public static Dictionary<string, (string Section, ulong Offset, ulong Size)>? SymbolTable(string name, char kind = 'F')
    {
        string file = TempFile(name);
        try
        {
            string? text = ObjDump($"-t {file}");
            if (text is null) return null;
            var result = new Dictionary<string, (string, ulong, ulong)>();
            foreach (string line in text.Split('\n'))
            {
                // 0000000000000000 g     F tracepoint/syscalls/sys_enter_getpid	0000000000000068 first_tp
                string[] tab = line.Split('\t');
                if (tab.Length != 2 || line.Length < 26 || line[23] != kind) continue;
                string section = tab[0][25..].Trim();
                string[] sizeName = tab[1].Split(' ', 2);
                result[sizeName[1].Trim()] = (section, Convert.ToUInt64(line[..16], 16), Convert.ToUInt64(sizeName[0], 16));
            }
            return result;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
