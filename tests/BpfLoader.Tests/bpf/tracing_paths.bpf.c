// SPDX-License-Identifier: GPL-2.0
/*
 * One tracepoint (sock:inet_sock_set_state) by every way BpfLoader.Tracing knows, for its tests: a tp_btf
 * program and a classic tracepoint program that send a record per state change of sockets on target_port
 * (through the ring buffer `events`, or the perf event array it becomes), a raw tracepoint that counts the
 * hits, and programs that cannot load or attach (a tp_btf and a raw tracepoint on a tracepoint that does
 * not exist) to force the fallbacks.
 */
#include "bpf_base.h"

struct tracing_record {
	__u16 sport;
	__u16 dport;
	__u32 oldstate;
	__u32 newstate;
	__u32 pad;
	__u64 ts;   /* bpf_ktime_get_ns(), once the record has its place: per-CPU rings are merged by it */
};

const volatile bool use_ringbuf = true;
/* A ring per CPU from cpu_events (the tests' EventRing makes them), `events` for a CPU that has none. */
const volatile bool ring_per_cpu = false;
/* Only sockets with this local or remote port send records (the tracepoint is the whole host's). */
const volatile __u16 target_port = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

struct cpu_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct cpu_ring);
} cpu_events SEC(".maps");

#define PERCPU_COUNT(name) \
	struct { \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, 1); \
		__type(key, __u32); \
		__type(value, __u64); \
	} name SEC(".maps")

PERCPU_COUNT(calls);    /* every call of a main program */
PERCPU_COUNT(wanted);   /* the calls for target_port: records sent or dropped */
PERCPU_COUNT(drops);    /* records that found no room */
PERCPU_COUNT(hits);     /* hits, counted by the raw tracepoint */
PERCPU_COUNT(caught);   /* no program here counts in it: tests write it, as a second program would count its catches */

struct sock_common {
	__be16 skc_dport;
	__u16 skc_num;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
} __attribute__((preserve_access_index));

struct trace_event_raw_inet_sock_set_state {
	int oldstate;
	int newstate;
	__u16 sport;
	__u16 dport;
} __attribute__((preserve_access_index));

static __always_inline void count(void *map)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(map, &zero);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline int send(void *ctx, __u16 sport, __u16 dport, int oldstate, int newstate)
{
	struct tracing_record on_stack = {}, *r = &on_stack;
	void *ring = &events;

	if (sport != target_port && dport != target_port)
		return 0;
	count(&wanted);
	if (use_ringbuf) {
		if (ring_per_cpu) {
			__u32 cpu = bpf_get_smp_processor_id();
			void *own = bpf_map_lookup_elem(&cpu_events, &cpu);

			if (own)
				ring = own;
		}
		r = bpf_ringbuf_reserve(ring, sizeof(*r), 0);
		if (!r) {
			count(&drops);
			return 0;
		}
	}
	r->sport = sport;
	r->dport = dport;
	r->oldstate = oldstate;
	r->newstate = newstate;
	r->pad = 0;
	r->ts = bpf_ktime_get_ns();
	if (use_ringbuf)
		bpf_ringbuf_submit(r, 0);
	else if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, r, sizeof(*r)))
		count(&drops);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int on_btf(__u64 *ctx)
{
	const struct sock *sk = (const struct sock *)ctx[0];
	__u16 dport = sk->__sk_common.skc_dport;

	count(&calls);
	if (!target_port)   /* never, in the tests: they only need the map loaded, and write it themselves */
		count(&caught);
	return send(ctx, sk->__sk_common.skc_num, (__u16)((dport >> 8) | (dport << 8)), (int)ctx[1], (int)ctx[2]);
}

SEC("tp_btf/no_such_tracepoint_for_tests")
int on_btf_missing(__u64 *ctx)
{
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int on_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	count(&calls);
	return send(ctx, ctx->sport, ctx->dport, ctx->oldstate, ctx->newstate);
}

SEC("tracepoint/sock/no_such_tracepoint_for_tests")
int on_tp_missing(struct trace_event_raw_inet_sock_set_state *ctx)
{
	return send(ctx, ctx->sport, ctx->dport, ctx->oldstate, ctx->newstate);
}

SEC("raw_tp/inet_sock_set_state")
int count_hits(void *ctx)
{
	count(&hits);
	return 0;
}

SEC("raw_tp/no_such_tracepoint_for_tests")
int count_hits_missing(void *ctx)
{
	count(&hits);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
