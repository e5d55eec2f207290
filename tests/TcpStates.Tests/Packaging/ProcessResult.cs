using System.Diagnostics;

namespace TcpStates.Tests.Packaging;

/// <summary>A finished process: its exit code and everything it wrote.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Runs <paramref name="file"/> to completion, killed (and failed) past <paramref name="timeout"/>.</summary>
    public static ProcessResult Run(string file, IEnumerable<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in arguments) psi.ArgumentList.Add(a);
        if (environment is not null)
            foreach ((string name, string value) in environment) psi.Environment[name] = value;
        using Process p = Process.Start(psi)!;
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new Xunit.Sdk.XunitException($"{file} {string.Join(' ', arguments)} did not finish within {timeout}\n{stdout.Result}\n{stderr.Result}");
        }
        p.WaitForExit();
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}
