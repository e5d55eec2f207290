namespace TcpStates.Tests.Packaging;

/// <summary>
/// tcpstates.service run by a real systemd: the package installed with dpkg into a throwaway overlay of this
/// machine (as <see cref="InstalledRoot"/>), booted with systemd-nspawn, where a oneshot unit starts the service,
/// makes a connection to a port nobody listens on, stops the service and powers off. Returns what it saw.
/// nspawn's own sandbox is widened only by what the service needs: CAP_BPF and CAP_PERFMON, and the bpf and
/// perf_event_open system calls (its default filter lets bpf() through only with CAP_SYS_ADMIN).
/// </summary>
public static class BootedService
{
    // $1 = the .deb, $2 = the refused port. Prints the check's log, then "----", then the service's journal as JSON.
    private const string Script = """
        set -eu
        deb=$1; port=$2
        fail() { echo "booted-service: $*" >&2; exit 90; }
        mount -t tmpfs tmpfs /mnt || fail "tmpfs on /mnt"
        mkdir /mnt/upper /mnt/work /mnt/root
        cp "$deb" /mnt/tcpstates.deb
        mount -t overlay overlay -o lowerdir=/,upperdir=/mnt/upper,workdir=/mnt/work /mnt/root || fail "overlay on /"
        r=/mnt/root
        mount --bind /proc "$r/proc"
        mount -t tmpfs tmpfs "$r/tmp"
        mount -t tmpfs tmpfs "$r/run"
        cp /mnt/tcpstates.deb "$r/tmp/"
        chroot "$r" dpkg -i /tmp/tcpstates.deb >/mnt/dpkg.log 2>&1 || { cat /mnt/dpkg.log >&2; fail "dpkg -i failed"; }
        umount "$r/tmp" "$r/run" "$r/proc"
        systemd-id128 new > "$r/etc/machine-id"   # not the host's: its journal is its own
        mkdir -p "$r/etc/systemd/system/tcpstates.service.d" "$r/etc/systemd/system/multi-user.target.wants"
        printf '[Service]\nEnvironment=TCPSTATES_DEBUG=1\n' > "$r/etc/systemd/system/tcpstates.service.d/debug.conf"
        cat > "$r/root/check.sh" <<EOF
        exec > /var/tmp/check.out 2>&1
        # What sys-kernel-tracing.mount does on a machine; in a container its ConditionCapability=CAP_SYS_RAWIO fails.
        mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
        systemctl start tcpstates.service
        for i in \$(seq 100); do journalctl -u tcpstates.service -q --no-pager | grep -q 'debug: attached' && break; sleep 0.1; done
        echo "active=\$(systemctl is-active tcpstates.service)"
        bash -c 'exec 3<>/dev/tcp/127.0.0.1/$port' 2>/dev/null || true
        for i in \$(seq 100); do journalctl -u tcpstates.service -q --no-pager OBJECT_TCP_DESTINATION_PORT=$port | grep -q 'SYN_SENT → CLOSE' && break; sleep 0.1; done
        systemctl stop tcpstates.service
        systemctl show tcpstates.service -p Result,ExecMainStatus,NRestarts
        journalctl -u tcpstates.service -o json --no-pager > /var/tmp/journal.json
        systemctl poweroff
        EOF
        printf '[Unit]\nAfter=multi-user.target\n[Service]\nType=oneshot\nExecStart=/bin/bash /root/check.sh\n' \
          > "$r/etc/systemd/system/tcpstates-check.service"
        ln -s /etc/systemd/system/tcpstates-check.service "$r/etc/systemd/system/multi-user.target.wants/"
        timeout 150 systemd-nspawn -q -D "$r" -b --register=no --keep-unit --link-journal=no \
          --capability=CAP_BPF,CAP_PERFMON '--system-call-filter=bpf perf_event_open' --console=passive >/mnt/console.log 2>&1 \
          || { tail -n 30 /mnt/console.log >&2; fail "systemd-nspawn failed or timed out"; }
        [ -f "$r/var/tmp/check.out" ] || { tail -n 30 /mnt/console.log >&2; fail "the check did not run"; }
        cat "$r/var/tmp/check.out"
        echo ----
        cat "$r/var/tmp/journal.json"
        """;

    /// <summary>Boots, runs the check, returns (the check's log, the service's journal as JSON lines).</summary>
    public static (string Log, string[] Journal) Run(int refusedPort)
    {
        ProcessResult result = ProcessResult.Run("unshare",
            ["-m", "--propagation", "private", "bash", "-c", Script, "booted-service", BuiltPackage.Deb, refusedPort.ToString()],
            TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
        int split = result.Stdout.IndexOf("\n----\n", StringComparison.Ordinal);
        Assert.True(split >= 0, result.Stdout);
        return (result.Stdout[..split], result.Stdout[(split + 6)..].Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
