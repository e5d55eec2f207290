// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tcpstates: one event per TCP state change, from sock:inet_sock_set_state.
 * Two entry points share one handler: tp_btf (typed arguments, preferred) and the
 * classic tracepoint (for kernels where tp_btf does not load). The loader keeps the one it attaches.
 */
#include "bpf_base.h"
#include <linux/in6.h>
#include "tcpstates.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define TCP_CLOSE 7
#define MAX_PORTS 1024

/* Set by the tool before load; .rodata is frozen, so the verifier prunes what they switch off. */
const volatile bool filter_by_sport = false;
const volatile bool filter_by_dport = false;
const volatile __u16 target_family = 0;
const volatile bool use_ringbuf = true;
/* Ring buffer only: wake the reader each time what waits crosses a multiple of this many bytes
 * (0: the kernel's default, a wakeup for every record written into an empty ring). Otherwise the
 * reader polls on a timer. A wakeup is an irq_work self-IPI raised inside this program; softirqs run
 * on its way out, and a TCP state change among them finds the program busy on this CPU: the kernel
 * skips it (a recursion miss, an event lost unseen). Waking on every record cost 1 IPI per ~8 events,
 * ~1,500 lost events per 200,000 and ~500 ns of BPF time per event. */
const volatile __u32 wakeup_bytes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_PORTS);
	__type(key, __u16);
	__type(value, __u8);
} sports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_PORTS);
	__type(key, __u16);
	__type(value, __u8);
} dports SEC(".maps");

/* LRU: sockets whose CLOSE we never saw age out instead of filling the map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} timestamps SEC(".maps");

/* A ring buffer; the tool turns it into a perf event array where the kernel has no ring buffer. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 21);   /* 2 MiB: ~60 ms of the fastest churn here; RSS counts it twice (mapped twice) */
} events SEC(".maps");

/* Records that found no room in the ring buffer or perf buffer, per CPU: the tool reports them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Kernel types, only the fields we use; CO-RE finds them wherever this kernel has them. */
struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol;
} __attribute__((preserve_access_index));

struct inet_sock {
	__be16 inet_sport;
} __attribute__((preserve_access_index));

struct trace_event_raw_inet_sock_set_state {
	const void *skaddr;
	int oldstate;
	int newstate;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u16 protocol;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
} __attribute__((preserve_access_index));

static __always_inline __u16 bswap16(__u16 x)
{
	return (__u16)((x >> 8) | (x << 8));
}

static __always_inline bool port_wanted(void *ports, __u16 port)
{
	return bpf_map_lookup_elem(ports, &port) != NULL;
}

/* The event is built here; addresses are already copied into e by the caller. */
static __always_inline int handle(void *ctx, struct event *e, __u64 sk, int oldstate, int newstate)
{
	__u64 *tsp, ts;

	if (filter_by_sport && !port_wanted(&sports, e->sport))
		goto forget;
	if (filter_by_dport && !port_wanted(&dports, e->dport))
		goto forget;

	ts = bpf_ktime_get_ns();
	tsp = bpf_map_lookup_elem(&timestamps, &sk);
	e->skaddr = sk;
	e->ts_us = ts / 1000;
	e->delta_us = tsp ? (ts - *tsp) / 1000 : 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->oldstate = oldstate;
	e->newstate = newstate;
	bpf_get_current_comm(e->task, sizeof(e->task));

	long err;
	if (use_ringbuf) {
		__u64 flags = 0;
		if (wakeup_bytes) {
			/* Crossing, not "at least": once the reader lags, "at least" wakes on every record.
			 * Two CPUs may both miss a crossing; the next multiple still wakes. 8: the record header. */
			__u64 waiting = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
			flags = (waiting + sizeof(*e) + 8) / wakeup_bytes != waiting / wakeup_bytes ?
					BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
		}
		err = bpf_ringbuf_output(&events, e, sizeof(*e), flags);
	} else {
		/* Counted here too: the kernel's PERF_RECORD_LOST only comes with the next record that fits,
		 * so losses just before the tool exits would never be reported. */
		err = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e, sizeof(*e));
	}
	if (err) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&drops, &zero);
		if (n)
			*n += 1;
	}

	if (newstate == TCP_CLOSE)
		bpf_map_delete_elem(&timestamps, &sk);
	else
		bpf_map_update_elem(&timestamps, &sk, &ts, BPF_ANY);
	return 0;

forget:
	/* As the original: a socket filtered out by port keeps no timestamp. */
	bpf_map_delete_elem(&timestamps, &sk);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int tcpstates_btf(__u64 *ctx)
{
	const struct sock *sk = (const struct sock *)ctx[0];
	int oldstate = (int)ctx[1];
	int newstate = (int)ctx[2];
	struct event e = {};
	__u16 protocol = 0, family = 0, port = 0;

	protocol = (__u16)core_read_bitfield(sk, sk_protocol);
	if (protocol != IPPROTO_TCP)
		return 0;
	core_read_into(&family, sk->__sk_common.skc_family);
	if (target_family && target_family != family)
		return 0;

	e.family = family;
	core_read_into(&port, ((const struct inet_sock *)sk)->inet_sport);
	e.sport = bswap16(port);
	core_read_into(&port, sk->__sk_common.skc_dport);
	e.dport = bswap16(port);
	if (family == AF_INET) {
		core_read_into((__be32 *)e.saddr, sk->__sk_common.skc_rcv_saddr);
		core_read_into((__be32 *)e.daddr, sk->__sk_common.skc_daddr);
	} else {
		core_read_into((struct in6_addr *)e.saddr, sk->__sk_common.skc_v6_rcv_saddr);
		core_read_into((struct in6_addr *)e.daddr, sk->__sk_common.skc_v6_daddr);
	}
	return handle(ctx, &e, (__u64)sk, oldstate, newstate);
}

SEC("tracepoint/sock/inet_sock_set_state")
int tcpstates_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct event e = {};
	__u16 family = ctx->family;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (target_family && target_family != family)
		return 0;

	e.family = family;
	e.sport = ctx->sport;
	e.dport = ctx->dport;
	if (family == AF_INET) {
		bpf_probe_read_kernel(e.saddr, 4, ctx->saddr);
		bpf_probe_read_kernel(e.daddr, 4, ctx->daddr);
	} else {
		bpf_probe_read_kernel(e.saddr, 16, ctx->saddr_v6);
		bpf_probe_read_kernel(e.daddr, 16, ctx->daddr_v6);
	}
	return handle(ctx, &e, (__u64)ctx->skaddr, ctx->oldstate, ctx->newstate);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
