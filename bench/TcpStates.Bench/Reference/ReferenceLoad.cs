using System.Diagnostics;
using System.Globalization;
using TcpStates.Bench.Harness;
using TcpStates.Bench.Load;

namespace TcpStates.Bench.Reference;

/// <summary>
/// Runs the reference C churn loop (bench/reference/churn.c) untraced: what the machine gives a
/// minimal load at this moment, beside which the harness's own load shows whether it keeps up.
/// </summary>
internal static class ReferenceLoad
{
    public static ChurnResult Run(string binary, ChurnOptions options)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(options.Count.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(options.Workers.ToString(CultureInfo.InvariantCulture));
        return LoadProcess.Result(info, "reference loop");
    }
}
