namespace TcpStates.Cli;

/// <summary>
/// The original's argparse output, laid out as argparse does for an 80-column terminal. Rendered by hand because
/// System.CommandLine's help has another layout; the strings are the original's.
/// </summary>
public static class HelpText
{
    public const string Usage =
        "usage: tcpstates [-h] [-T] [-t] [-w] [-s] [-L LOCALPORT] [-D REMOTEPORT] [-Y]\n" +
        "                 [-4 | -6] [-j] [-C] [--netns NETNS] [--cgroup PATH]\n";

    public const string Description = "Trace TCP session state changes and durations";

    public const string Examples =
        "examples:\n" +
        "    ./tcpstates           # trace all TCP state changes\n" +
        "    ./tcpstates -t        # include timestamp column\n" +
        "    ./tcpstates -T        # include time column (HH:MM:SS)\n" +
        "    ./tcpstates -w        # wider columns (fit IPv6)\n" +
        "    ./tcpstates -stT      # csv output, with times & timestamps\n" +
        "    ./tcpstates -Y        # log events to the systemd journal\n" +
        "    ./tcpstates -L 80     # only trace local port 80\n" +
        "    ./tcpstates -L 80,81  # only trace local ports 80 and 81\n" +
        "    ./tcpstates -D 80     # only trace remote port 80\n" +
        "    ./tcpstates -4        # trace IPv4 family only\n" +
        "    ./tcpstates -6        # trace IPv6 family only\n" +
        "    ./tcpstates -j        # JSON lines, with each socket's netns and cgroup\n" +
        "    ./tcpstates -C        # add network namespace and cgroup columns\n" +
        "    ./tcpstates --netns /run/netns/blue    # only sockets in netns blue\n" +
        "    ./tcpstates --cgroup /sys/fs/cgroup/system.slice\n" +
        "                          # only sockets of system.slice and below it\n";

    public const string Full =
        Usage +
        "\n" +
        Description + "\n" +
        "\n" +
        "optional arguments:\n" +
        "  -h, --help            show this help message and exit\n" +
        "  -T, --time            include time column on output (HH:MM:SS)\n" +
        "  -t, --timestamp       include timestamp on output (seconds)\n" +
        "  -w, --wide            wide column output (fits IPv6 addresses)\n" +
        "  -s, --csv             comma separated values output\n" +
        "  -L LOCALPORT, --localport LOCALPORT\n" +
        "                        comma-separated list of local ports to trace.\n" +
        "  -D REMOTEPORT, --remoteport REMOTEPORT\n" +
        "                        comma-separated list of remote ports to trace.\n" +
        "  -Y, --journal         log session state changes to the systemd journal\n" +
        "  -4, --ipv4            trace IPv4 family only\n" +
        "  -6, --ipv6            trace IPv6 family only\n" +
        "  -j, --json            JSON lines output: one object per state change\n" +
        "  -C, --containers      include network namespace and cgroup columns\n" +
        "  --netns NETNS         only trace sockets in this network namespace (an\n" +
        "                        inode, or a path such as /proc/PID/ns/net or\n" +
        "                        /run/netns/NAME)\n" +
        "  --cgroup PATH         only trace sockets in this cgroup v2 directory or\n" +
        "                        below it\n" +
        "\n" +
        Examples;
}
