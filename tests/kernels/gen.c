/* The kernel matrix's traffic generator (static, runs as the VM's only TCP user).
 * gen BASE: on loopback, for IPv4 (127.0.0.1) and then IPv6 (::1), a listener on BASE+1 (BASE+3 for IPv6)
 * and one client bound to BASE+2 (BASE+4) connect, the client sends a line and closes first, the server
 * reads to EOF and closes, then the listener closes. Every port is fixed so that check.awk knows every row
 * the tool must print. Pinned to CPU 0 so that a perf buffer (one ring per CPU) keeps each socket's order. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what, int port)
{
    fprintf(stderr, "gen: %s (port %d): %s\n", what, port, strerror(errno));
    exit(1);
}

static socklen_t address(int family, int port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return sizeof *a;
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    a->sin6_addr = in6addr_loopback;
    return sizeof *a;
}

static int bound(int family, int port)
{
    struct sockaddr_storage ss;
    socklen_t len = address(family, port, &ss);
    int one = 1;
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0) die("socket", port);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) die("bind", port);
    return fd;
}

static void exchange(int family, int server_port, int client_port)
{
    struct sockaddr_storage ss;
    socklen_t len = address(family, server_port, &ss);
    char buf[64];
    int listener = bound(family, server_port);
    if (listen(listener, 4) < 0) die("listen", server_port);
    int client = bound(family, client_port);
    if (connect(client, (struct sockaddr *)&ss, len) < 0) die("connect", server_port);
    int server = accept(listener, NULL, NULL);
    if (server < 0) die("accept", server_port);
    if (write(client, "hello\n", 6) != 6) die("write", client_port);
    close(client);                                   /* the client closes first: FIN_WAIT1, FIN_WAIT2 */
    for (;;) {                                       /* the server reads to EOF: CLOSE_WAIT */
        ssize_t n = read(server, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) die("read", server_port);
    }
    close(server);                                   /* LAST_ACK, then CLOSE on the client's ACK */
    close(listener);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen BASE_PORT\n");
        return 2;
    }
    int base = atoi(argv[1]);
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    sched_setaffinity(0, sizeof cpus, &cpus);
    exchange(AF_INET, base + 1, base + 2);
    exchange(AF_INET6, base + 3, base + 4);
    usleep(200 * 1000);                              /* the last ACKs and the client's TIME_WAIT handoff */
    printf("gen: done %d\n", base);
    return 0;
}
