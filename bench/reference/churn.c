/* The reference load: the least a program can do to churn graceful loopback connections (same
 * protocol as TcpStates.Bench's load: the client connects and closes, the acceptor reads until the
 * client's FIN and only then closes). The harness compiles it at run time and measures it untraced
 * beside its own load, so a slow generator shows instead of passing for a slow machine. As the
 * harness's load, clients take their source address in turn from 127.0.0.2 on (SOURCES of them):
 * from one address to one listener, the kernel's search for a free port crawls past the young
 * TIME_WAITs once a second's connections outnumber the ports (see ChurnGenerator).
 * Usage: churn COUNT WORKERS [PACE_US]   Prints the same "result ..." line as the harness's load. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int listener;
static struct sockaddr_in target;
static long count, pace_us;
static atomic_long claimed, connected, accepted, failures;
static atomic_int stopping;

#define SOURCES 32

static long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void *client(void *arg)
{
	long n;
	(void)arg;
	while ((n = atomic_fetch_add(&claimed, 1)) < count) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) { atomic_fetch_add(&failures, 1); continue; }
		int one = 1;
		struct sockaddr_in source = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + n % SOURCES) };
		if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) ||
		    bind(fd, (struct sockaddr *)&source, sizeof source)) {
			atomic_fetch_add(&failures, 1);
			close(fd);
			continue;
		}
		if (connect(fd, (struct sockaddr *)&target, sizeof target) == 0)
			atomic_fetch_add(&connected, 1);
		else
			atomic_fetch_add(&failures, 1);
		close(fd);
		if (pace_us > 0)
			usleep(pace_us);
	}
	return NULL;
}

static void *acceptor(void *arg)
{
	char buf[64];
	(void)arg;
	for (;;) {
		int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (atomic_load(&stopping))
				return NULL;
			continue;
		}
		ssize_t n;
		do
			n = recv(fd, buf, sizeof buf, 0);
		while (n > 0 || (n < 0 && errno == EINTR));
		close(fd);
		atomic_fetch_add(&accepted, 1);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: churn COUNT WORKERS [PACE_US]\n");
		return 2;
	}
	count = atol(argv[1]);
	int workers = atoi(argv[2]);
	pace_us = argc > 3 ? atol(argv[3]) : 0;
	if (workers < 1 || workers > 64 || count < 1)
		return 2;

	listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	if (bind(listener, (struct sockaddr *)&sa, sizeof sa) || listen(listener, 4096) ||
	    getsockname(listener, (struct sockaddr *)&sa, &len)) {
		perror("listener");
		return 1;
	}
	target = sa;

	pthread_t acc[64], cli[64];
	for (int i = 0; i < workers; i++)
		pthread_create(&acc[i], NULL, acceptor, NULL);
	long start = now_ns();
	for (int i = 0; i < workers; i++)
		pthread_create(&cli[i], NULL, client, NULL);
	for (int i = 0; i < workers; i++)
		pthread_join(cli[i], NULL);
	for (long waited = 0; atomic_load(&accepted) < atomic_load(&connected) && waited < 10000; waited++)
		usleep(1000);
	long end = now_ns();

	atomic_store(&stopping, 1);
	shutdown(listener, SHUT_RDWR);
	for (int i = 0; i < workers; i++)
		pthread_join(acc[i], NULL);
	printf("result port=%d connections=%ld failures=%ld elapsed_ns=%ld first_error=-\n",
	       ntohs(sa.sin_port), atomic_load(&connected), atomic_load(&failures), end - start);
	return 0;
}
