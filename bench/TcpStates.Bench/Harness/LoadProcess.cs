using System.Diagnostics;
using TcpStates.Bench.Load;

namespace TcpStates.Bench.Harness;

/// <summary>Runs the churn in a child process (this binary's <c>load</c> subcommand), so its CPU is not the harness's.</summary>
internal static class LoadProcess
{
    public static ChurnResult Run(ChurnOptions options)
    {
        var info = new ProcessStartInfo(SelfCommand.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in SelfCommand.LeadingArguments)
            info.ArgumentList.Add(a);
        foreach (string a in options.ToArguments())
            info.ArgumentList.Add(a);

        return Result(info, "load process");
    }

    /// <summary>Runs a churn program to its end and reads its result line (the last one on its stdout).</summary>
    public static ChurnResult Result(ProcessStartInfo info, string what)
    {
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start the {what}");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        ChurnResult? result = null;
        foreach (string line in stdout.Split('\n'))
            result = ChurnResult.Parse(line.Trim()) ?? result;
        if (process.ExitCode != 0 || result is null)
            throw new InvalidOperationException($"{what} failed (exit {process.ExitCode}): {stderr.Result.Trim()} {stdout.Trim()}");
        return result;
    }
}
