// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of each part of tcpstates' main program, one tp_btf program per step on the same tracepoint
 * (bench/program-floor loads one at a time through TcpStates.Bench floor, which drains their rings):
 *   floor_empty           the kernel's call into BPF and back (the limit);
 *   floor_ring_reserve    + a 104-byte record reserved in one ring buffer shared by all CPUs and submitted,
 *                         its bytes left as they were: the ring's lock, positions and header;
 *   floor_ring_record     + the record written as tcpstates writes it (time, task, socket);
 *   floor_percpu_record   the same record in a ring of this CPU's own (a map of ring buffers), which no
 *                         other CPU's programs write: what per-CPU rings would cost.
 * Nothing included but bpf/tcpstates.h: the bench compiles this with clang and -I bpf alone.
 */
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#define __always_inline inline __attribute__((always_inline))

typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define BPF_MAP_TYPE_ARRAY_OF_MAPS 12
#define BPF_MAP_TYPE_RINGBUF 27
#define AF_INET 2
#define RINGS 8

struct sock_common {
	u32 skc_daddr;
	u32 skc_rcv_saddr;
	u16 skc_dport;
	unsigned short skc_family;
	struct { u8 s6_addr[16]; } skc_v6_daddr, skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
} __attribute__((preserve_access_index));

struct inet_sock {
	struct sock sk;
	u16 inet_sport;
} __attribute__((preserve_access_index));

struct inet_connection_sock {
	struct inet_sock icsk_inet;
} __attribute__((preserve_access_index));

struct tcp_sock {
	struct inet_connection_sock inet_conn;
} __attribute__((preserve_access_index));

struct task_struct {
	int tgid;
	char comm[16];
} __attribute__((preserve_access_index));

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static u32 (*bpf_get_smp_processor_id)(void) = (void *)8;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, u64 size, u64 flags) = (void *)131;
static void (*bpf_ringbuf_submit)(void *data, u64 flags) = (void *)132;
static struct tcp_sock *(*bpf_skc_to_tcp_sock)(const void *sk) = (void *)137;
static struct task_struct *(*bpf_get_current_task_btf)(void) = (void *)158;

/* tcpstates' records (struct event, struct event_ipv4), from its header: compiled with -I bpf. */
#define TASK_COMM_LEN 16
typedef u64 __u64;
typedef u32 __u32;
typedef int __s32;
typedef u16 __u16;
typedef u8 __u8;
#include "tcpstates.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 21);   /* tcpstates' size */
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} small_ring SEC(".maps");

struct percpu_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 19);
};

struct percpu_ring ring0 SEC(".maps"), ring1 SEC(".maps"), ring2 SEC(".maps"), ring3 SEC(".maps"),
	ring4 SEC(".maps"), ring5 SEC(".maps"), ring6 SEC(".maps"), ring7 SEC(".maps");

/* CPU n writes ring n % RINGS: its own on a host of up to RINGS CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, RINGS);
	__type(key, u32);
	__array(values, struct percpu_ring);
} rings SEC(".maps") = {
	.values = { &ring0, &ring1, &ring2, &ring3, &ring4, &ring5, &ring6, &ring7 },
};

static __always_inline void fill(struct event *e, u64 *ctx)
{
	const struct sock *sk = (const struct sock *)ctx[0];
	const struct task_struct *task = bpf_get_current_task_btf();
	const struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);

	e->ts_ns = bpf_ktime_get_ns();
	e->skaddr = ctx[0];
	e->delta_us = ~0ULL;
	e->oldstate = (int)ctx[1];
	e->newstate = (int)ctx[2];
	e->pid = task->tgid;
	*(u64 *)e->task = *(const u64 *)task->comm;
	*(u64 *)(e->task + 8) = *(const u64 *)(task->comm + 8);
	e->family = sk->__sk_common.skc_family;
	e->dport = sk->__sk_common.skc_dport;
	e->sport = tp ? tp->inet_conn.icsk_inet.inet_sport : 0;
	e->__pad = 0;
	e->netns = 0;
	e->cgroup_id = 0;
	if (e->family == AF_INET) {
		*(u32 *)e->saddr = sk->__sk_common.skc_rcv_saddr;
		*(u32 *)e->daddr = sk->__sk_common.skc_daddr;
		__builtin_memset(e->saddr + 4, 0, 12);
		__builtin_memset(e->daddr + 4, 0, 12);
	} else {
		__builtin_memcpy(e->saddr, &sk->__sk_common.skc_v6_rcv_saddr, 16);
		__builtin_memcpy(e->daddr, &sk->__sk_common.skc_v6_daddr, 16);
	}
}

SEC("tp_btf/inet_sock_set_state")
int floor_empty(u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int floor_ring_reserve(u64 *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&ring, sizeof(*e), 0);

	(void)ctx;
	if (e)
		bpf_ringbuf_submit(e, 0);
	return 0;
}

/* A record written in ring (a map, or a ring from a map of rings), as tcpstates writes it. */
static __always_inline int record_in(void *ring, u64 *ctx)
{
	struct event *e = bpf_ringbuf_reserve(ring, sizeof(*e), 0);

	if (!e)
		return 0;
	fill(e, ctx);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int floor_ring_record(u64 *ctx)
{
	return record_in(&ring, ctx);
}

SEC("tp_btf/inet_sock_set_state")
int floor_percpu_record(u64 *ctx)
{
	u32 slot = bpf_get_smp_processor_id() % RINGS;
	void *own = bpf_map_lookup_elem(&rings, &slot);

	return own ? record_in(own, ctx) : 0;
}

SEC("tp_btf/inet_sock_set_state")
int floor_ring_compact(u64 *ctx)
{
	struct event_ipv4 *e = bpf_ringbuf_reserve(&ring, sizeof(*e), 0);
	const struct sock *sk = (const struct sock *)ctx[0];
	const struct task_struct *task;
	const struct tcp_sock *tp;

	if (!e)
		return 0;
	task = bpf_get_current_task_btf();
	tp = bpf_skc_to_tcp_sock(sk);
	e->ts_ns = bpf_ktime_get_ns();
	e->skaddr = ctx[0];
	e->oldstate = (u8)ctx[1];
	e->newstate = (u8)ctx[2];
	e->pid = task->tgid;
	*(u64 *)e->task = *(const u64 *)task->comm;
	*(u64 *)(e->task + 8) = *(const u64 *)(task->comm + 8);
	e->dport = sk->__sk_common.skc_dport;
	e->sport = tp ? tp->inet_conn.icsk_inet.inet_sport : 0;
	*(u32 *)e->saddr = sk->__sk_common.skc_rcv_saddr;
	*(u32 *)e->daddr = sk->__sk_common.skc_daddr;
	e->__pad = 0;
	e->__pad2 = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int floor_small_ring_record(u64 *ctx)
{
	return record_in(&small_ring, ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
