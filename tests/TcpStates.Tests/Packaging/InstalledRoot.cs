using System.Diagnostics;

namespace TcpStates.Tests.Packaging;

/// <summary>
/// The package installed with dpkg into a throwaway copy of this machine: a private mount namespace with an
/// overlay on / (writes go to a tmpfs), entered with chroot. dpkg, its database and the maintainer scripts are
/// the host's own, so the install is real, yet nothing outside the namespace changes, and the namespace (and
/// everything written) is gone when its last process exits. /run is empty inside, so the maintainer scripts
/// see no running systemd and never talk to the host's.
/// </summary>
public static class InstalledRoot
{
    // $1 = the .deb, $2 = "ro" to make the root and /sys read-only before the command (the service's view),
    // the rest = the command to exec in the root. Setup is quiet unless it fails (exit 90, its output on stderr).
    private const string Setup = """
        set -eu
        deb=$1; ro=$2; shift 2
        fail() { echo "installed-root: $*" >&2; exit 90; }
        mount -t tmpfs tmpfs /mnt || fail "tmpfs on /mnt"
        mkdir /mnt/upper /mnt/work /mnt/root
        cp "$deb" /mnt/tcpstates.deb
        mount -t overlay overlay -o lowerdir=/,upperdir=/mnt/upper,workdir=/mnt/work /mnt/root || fail "overlay on /"
        r=/mnt/root
        mount --bind /proc "$r/proc"
        mount --rbind /sys "$r/sys"
        mount --rbind /dev "$r/dev"
        mount -t tmpfs tmpfs "$r/tmp"
        mount -t tmpfs tmpfs "$r/run"
        cp /mnt/tcpstates.deb "$r/tmp/"
        chroot "$r" dpkg -i /tmp/tcpstates.deb >/mnt/dpkg.log 2>&1 || { cat /mnt/dpkg.log >&2; fail "dpkg -i failed"; }
        if [ "$ro" = ro ]; then
          mount -o remount,bind,ro "$r" && mount -o remount,bind,ro "$r/sys" || fail "read-only remount"
        fi
        exec chroot "$r" "$@"
        """;

    /// <summary>Installs the package, runs <paramref name="command"/> in the root to completion.</summary>
    public static ProcessResult Run(string[] command, TimeSpan? timeout = null) =>
        ProcessResult.Run("unshare", Arguments(readOnly: false, command), timeout ?? TimeSpan.FromMinutes(2));

    /// <summary>A shell script run in the root (bash -c).</summary>
    public static ProcessResult Shell(string script, TimeSpan? timeout = null) => Run(["bash", "-c", script], timeout);

    /// <summary>
    /// Installs the package and starts <paramref name="command"/> in the root, which it replaces (same PID, so a
    /// signal to the process reaches the command); with <paramref name="readOnly"/> the root and /sys are
    /// read-only as under the service's ProtectSystem=strict and ProtectKernelTunables=yes.
    /// </summary>
    public static ProcessStartInfo StartInfo(bool readOnly, params string[] command)
    {
        var psi = new ProcessStartInfo("unshare")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string a in Arguments(readOnly, command)) psi.ArgumentList.Add(a);
        return psi;
    }

    private static string[] Arguments(bool readOnly, string[] command) =>
        ["-m", "--propagation", "private", "bash", "-c", Setup, "installed-root", BuiltPackage.Deb, readOnly ? "ro" : "rw", .. command];
}
