using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BpfBuild;

/// <summary>
/// Compiles one BPF C source into a BPF ELF object with clang (<c>-target bpf -O2 -g</c>).
/// Incremental on its own: clang writes a make-style dependency file, and the task skips
/// the compile when the object is newer than the source and every header it included.
/// </summary>
public sealed partial class ClangCompile : ToolTask
{
    /// <summary>The .bpf.c file to compile.</summary>
    [Required] public string Source { get; set; } = "";

    /// <summary>The object file to write.</summary>
    [Required] public string ObjectFile { get; set; } = "";

    /// <summary>Extra include directories (-I).</summary>
    public string[] IncludeDirectories { get; set; } = Array.Empty<string>();

    /// <summary>Preprocessor definitions (-D), NAME or NAME=VALUE.</summary>
    public string[] Defines { get; set; } = Array.Empty<string>();

    /// <summary>Any further clang arguments, passed as they are.</summary>
    public string[] ExtraArguments { get; set; } = Array.Empty<string>();

    /// <summary>
    /// The architecture the program will run on, as libbpf's __TARGET_ARCH_* names it ("x86", "arm64"):
    /// it picks the PT_REGS layout and the asm/ headers. The host's when empty.
    /// </summary>
    public string TargetArch { get; set; } = "";

    /// <summary>A clang the user chose (a path or a name on PATH); found on our own when empty.</summary>
    public string Clang { get; set; } = "";

    protected override string ToolName => "clang";

    private string DepFile => ObjectFile + ".d";

    protected override string GenerateFullPathToTool()
    {
        string? found = ClangLocator.Find(Clang);
        if (found is null)
        {
            Log.LogError(
                "clang was not found (tried {0}). Install clang (e.g. 'apt-get install clang-14') or set the Clang property to its path.",
                string.Join(", ", ClangLocator.Candidates(Clang)));
            return "";
        }
        return found;
    }

    protected override bool ValidateParameters()
    {
        if (!File.Exists(Source))
        {
            Log.LogError("BPF source '{0}' does not exist.", Source);
            return false;
        }
        return base.ValidateParameters();
    }

    protected override bool SkipTaskExecution()
    {
        if (IsUpToDate())
        {
            Log.LogMessage(MessageImportance.Low, "{0} is up to date.", ObjectFile);
            return true;
        }
        string? dir = Path.GetDirectoryName(Path.GetFullPath(ObjectFile));
        if (dir is not null) Directory.CreateDirectory(dir);
        return false;
    }

    private bool IsUpToDate()
    {
        if (!File.Exists(ObjectFile) || !File.Exists(DepFile)) return false;
        DateTime built = File.GetLastWriteTimeUtc(ObjectFile);
        foreach (string input in DependencyFile.Parse(File.ReadAllText(DepFile)).Append(Source))
        {
            if (!File.Exists(input) || File.GetLastWriteTimeUtc(input) > built) return false;
        }
        return true;
    }

    protected override string GenerateCommandLineCommands()
    {
        var cmd = new CommandLineBuilder();
        cmd.AppendSwitch("-target bpf");
        cmd.AppendSwitch("-O2");
        cmd.AppendSwitch("-g");
        cmd.AppendSwitch("-Wall");
        // Plain file:line:col diagnostics, no colours or carets, so we can map them to MSBuild errors.
        cmd.AppendSwitch("-fno-color-diagnostics");
        cmd.AppendSwitch("-fno-caret-diagnostics");
        string arch = EffectiveTargetArch();
        cmd.AppendSwitch("-D__TARGET_ARCH_" + arch);
        foreach (string dir in IncludeDirectories) cmd.AppendSwitchIfNotNull("-I", dir);
        // <linux/types.h> needs <asm/types.h>, which Debian keeps under a multiarch folder.
        foreach (string dir in MultiarchIncludeDirs(arch)) cmd.AppendSwitchIfNotNull("-idirafter ", dir);
        foreach (string def in Defines) cmd.AppendSwitchIfNotNull("-D", def);
        foreach (string arg in ExtraArguments) cmd.AppendSwitch(arg);
        cmd.AppendSwitch("-MD");
        cmd.AppendSwitchIfNotNull("-MF ", DepFile);
        cmd.AppendSwitch("-c");
        cmd.AppendFileNameIfNotNull(Source);
        cmd.AppendSwitchIfNotNull("-o ", ObjectFile);
        return cmd.ToString();
    }

    private string EffectiveTargetArch() => TargetArch.Length > 0
        ? TargetArch
        : System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64
            ? "arm64"
            : "x86";

    /// <summary>The target's multiarch include folder, else the host's (asm/types.h is the same on both).</summary>
    private static IEnumerable<string> MultiarchIncludeDirs(string arch)
    {
        string target = "/usr/include/" + (arch == "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu");
        string host = "/usr/include/" + (System.Runtime.InteropServices.RuntimeInformation.OSArchitecture
            == System.Runtime.InteropServices.Architecture.Arm64 ? "aarch64-linux-gnu" : "x86_64-linux-gnu");
        if (Directory.Exists(target)) yield return target;
        else if (Directory.Exists(host)) yield return host;
    }

    // clang: "path/file.c:12:5: error: message [-Wflag]"
    [GeneratedRegex(@"^(?<file>[^:]+):(?<line>\d+):(?<col>\d+): (?<kind>fatal error|error|warning|note): (?<msg>.*)$")]
    private static partial Regex DiagnosticPattern();

    protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance)
    {
        Match m = DiagnosticPattern().Match(singleLine);
        if (!m.Success)
        {
            base.LogEventsFromTextOutput(singleLine, messageImportance);
            return;
        }
        string file = m.Groups["file"].Value;
        int line = int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture);
        int col = int.Parse(m.Groups["col"].Value, System.Globalization.CultureInfo.InvariantCulture);
        string msg = m.Groups["msg"].Value;
        switch (m.Groups["kind"].Value)
        {
            case "warning":
                Log.LogWarning("clang", null, null, file, line, col, line, col, msg);
                break;
            case "note":
                Log.LogMessage(MessageImportance.High, "{0}({1},{2}): note: {3}", file, line, col, msg);
                break;
            default:
                Log.LogError("clang", null, null, file, line, col, line, col, msg);
                break;
        }
    }

    protected override int ExecuteTool(string pathToTool, string responseFileCommands, string commandLineCommands)
    {
        int exit = base.ExecuteTool(pathToTool, responseFileCommands, commandLineCommands);
        if (exit != 0 && File.Exists(ObjectFile))
        {
            // Never leave a stale object that a later incremental build would take for current.
            File.Delete(ObjectFile);
        }
        return exit;
    }
}
