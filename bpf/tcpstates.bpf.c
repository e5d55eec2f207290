// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tcpstates: one event per TCP state change, from sock:inet_sock_set_state.
 * Two ways in: tp_btf (preferred: typed arguments read with plain loads, each socket's last change kept
 * in its own storage, and a second program that catches the changes the first one misses, see
 * tcpstates_btf_nested), and the classic tracepoint (for kernels where tp_btf does not load). The tool
 * loads the programs of the one it attaches.
 */
#include "bpf_base.h"
#include <linux/in6.h>
#include "tcpstates.h"
#include "marks.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define TCP_CLOSE 7
#define MAX_PORTS 1024
/* How far up the cgroup tree --cgroup looks for its cgroup: deeper than any systemd or Kubernetes layout. */
#define MAX_CGROUP_DEPTH 32

/* Set by the tool before load; .rodata is frozen, so the verifier prunes what they switch off. */
const volatile bool filter_by_sport = false;
const volatile bool filter_by_dport = false;
const volatile __u16 target_family = 0;
/* --netns: only sockets in the network namespace with this inode (0: any). */
const volatile __u32 target_netns = 0;
/* --cgroup: only sockets in the cgroup with this id or in one below it (0: any). */
const volatile __u64 target_cgroup = 0;
/* Read each socket's netns and cgroup (for -j, -C, --netns, --cgroup); otherwise both stay 0 in the
 * event: the pointer chase costs cache misses on every change and the plain columns print neither. */
const volatile bool want_owner = true;
const volatile bool use_ringbuf = true;
/* Ring buffer: set by the reader (in .bss, which it maps) before it waits for records, clear while it drains on its
 * timer. Records go in with BPF_RB_NO_WAKEUP: a wakeup is an irq_work, a self-IPI raised inside this program, and
 * the kernel's own rule (a record into an empty ring) raises one per ring after every drain, for a reader that
 * sleeps on its timer, not on the rings. The program that finds the flag set once its record is in clears it and
 * wakes the reader (see ring_wake_reader). */
volatile __u32 reader_waiting;

/* -L/-D: the ports, filled before the programs attach. Not preallocated: without a filter they stay empty,
 * and creating 1024 elements for nothing is start-up time. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MAX_PORTS);
	__type(key, __u16);
	__type(value, __u8);
} sports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MAX_PORTS);
	__type(key, __u16);
	__type(value, __u8);
} dports SEC(".maps");

/* Classic tracepoint with a perf buffer: when each socket entered its state (sk_states below is tp_btf's;
 * with a ring buffer the reader keeps it). LRU: sockets whose CLOSE we never saw age out instead of filling the map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} timestamps SEC(".maps");

/* tp_btf with a perf buffer: the same, kept in the socket itself (freed with it): no hash, no lock, no
 * LRU list on the way of every event. With a ring buffer neither map is used: the reader, which gets one
 * socket's records in order from the one ring, works out the time in state itself (delta_us is then
 * DELTA_BY_READER), which spares every socket an allocation here and its free when it goes. */
struct sk_state {
	__u64 ts;       /* when it entered its state; 0: not seen, as a missing entry above */
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sk_state);
} sk_states SEC(".maps");

/* A ring buffer; the tool turns it into a perf event array where the kernel has no ring buffer. With ring_per_cpu,
 * the main program writes here when its CPU's ring is full, and tcpstates_btf_nested always: room for a burst that
 * one CPU's ring cannot take. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 21);   /* 2 MiB: ~60 ms of the fastest churn here; the tool sizes it */
} events SEC(".maps");

/*
 * ring_per_cpu: a ring per CPU, in the layout of a BPF ring buffer (8-byte headers with a busy and a discard bit),
 * in one array the reader maps, an element per CPU up to the last online (a CPU past them writes the shared ring).
 * Only the main program of that CPU writes it
 * (tcpstates_btf or tcpstates_tp: the kernel never runs one while it runs on the same CPU), so it takes no lock, no
 * irq save and restore, no helper call: what the ring buffer helpers cost for a ring no other CPU writes. The reader
 * merges the rings by ts_ns, which is read once the reservation is published: a record the reader does not see yet
 * carries a later time than its last clock reading. On x86 plain stores keep their order (the header, then the
 * position; the record, then its header); elsewhere they are published by atomic exchanges (weak_memory_order).
 */
const volatile bool ring_per_cpu = false;
/* Bytes of each CPU's ring that are used: a power of two up to CPU_RING_MAX (the tool's; tests make it small). */
const volatile __u64 cpu_ring_bytes = 0;
/* Set by the tool off x86, where a CPU may make stores visible out of order: positions and headers are then published
 * by exchanges. On x86 an exchange would only make the program wait for the record's cache lines (misses, often). */
const volatile bool weak_memory_order = true;

#define CPU_RING_MAX (256 * 1024)
#define RINGBUF_BUSY_BIT (1ULL << 31)
#define RINGBUF_DISCARD_BIT (1ULL << 30)
#define RINGBUF_HDR_SZ 8

struct cpu_ring {
	__u64 consumer;                /* the reader's position; written by the reader only */
	__u8 __consumer_lines[120];    /* the positions on lines of their own, apart from the adjacent-line prefetch */
	__u64 producer;                /* written by this CPU's program only */
	__u8 __producer_lines[120];
	__u8 data[CPU_RING_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);   /* the tool makes it one per CPU up to the last online */
	__type(key, __u32);
	__type(value, struct cpu_ring);
} cpu_rings SEC(".maps");

/* Records that found no room in the ring buffer or perf buffer, per CPU: the tool reports them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Changes tcpstates_btf_nested traced because tcpstates_btf had been skipped, per CPU: the tool
 * subtracts them from tcpstates_btf's recursion misses to count what neither program saw. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} caught SEC(".maps");

/* Changes tcpstates_btf was called for, per CPU: with its recursion misses, what reached it. The tool
 * compares that with the kernel's count of the tracepoint's hits, to report what never did. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

/* Classic tracepoint: hits of the tracepoint, counted by tcpstates_hits (see there), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

/* Kernel types, only the fields we use; CO-RE finds them wherever this kernel has them. */
/* The network namespace: its inode is what ls -l /proc/PID/ns/net shows. */
struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
	struct net *net;
} possible_net_t;

/* The cgroup v2 id is its kernfs node's id, which is also the inode of its directory on cgroup2. */
struct kernfs_node {
	__u64 id;
} __attribute__((preserve_access_index));

struct cgroup;

struct cgroup_subsys_state {
	struct cgroup *cgroup;
	struct cgroup_subsys_state *parent;
} __attribute__((preserve_access_index));

struct cgroup {
	struct cgroup_subsys_state self;
	struct kernfs_node *kn;
} __attribute__((preserve_access_index));

/* The cgroup of the task that created the socket, kept by the socket (5.15 and later: a pointer;
 * before, a union of it with v1 data, which this program does not read). */
struct sock_cgroup_data {
	struct cgroup *cgroup;
} __attribute__((preserve_access_index));

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
	possible_net_t skc_net;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol;
	struct sock_cgroup_data sk_cgrp_data;
} __attribute__((preserve_access_index));

struct inet_sock {
	struct sock sk;
	__be16 inet_sport;
} __attribute__((preserve_access_index));

struct inet_connection_sock {
	struct inet_sock icsk_inet;
} __attribute__((preserve_access_index));

struct tcp_sock {
	struct inet_connection_sock inet_conn;
} __attribute__((preserve_access_index));

struct task_struct {
	int tgid;
	char comm[TASK_COMM_LEN];
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

static void *(*bpf_sk_storage_get)(void *map, const void *sk, void *value, __u64 flags) =
	(void *)BPF_FUNC_sk_storage_get;
static struct tcp_sock *(*bpf_skc_to_tcp_sock)(const void *sk) = (void *)BPF_FUNC_skc_to_tcp_sock;
static struct task_struct *(*bpf_get_current_task_btf)(void) = (void *)BPF_FUNC_get_current_task_btf;

static __always_inline __u16 bswap16(__u16 x)
{
	return (__u16)((x >> 8) | (x << 8));
}

/* The -L/-D filters; a socket filtered out keeps no timestamp, as in the original. */
static __always_inline bool ports_wanted(__u16 sport, __u16 dport)
{
	if (filter_by_sport && !bpf_map_lookup_elem(&sports, &sport))
		return false;
	if (filter_by_dport && !bpf_map_lookup_elem(&dports, &dport))
		return false;
	return true;
}

/* The socket's network namespace and cgroup. Not the current task's: a state change often runs in a
 * softirq, on whatever task was on the CPU. tp_btf reads them with plain (BTF) loads, the classic
 * tracepoint, which only has the socket's address, with probe reads. */
struct sock_owner {
	__u32 netns;
	__u64 cgroup_id;
	const struct cgroup *cgroup;
};

static __always_inline void owner_btf(const struct sock *sk, struct sock_owner *o)
{
	const struct net *net = sk->__sk_common.skc_net.net;
	const struct cgroup *cg = NULL;
	const struct kernfs_node *kn;

	/* Before 5.15 the socket kept its cgroup in another form: no cgroup there (this is pruned at load). */
	if (core_field_exists(sk->sk_cgrp_data.cgroup))
		cg = sk->sk_cgrp_data.cgroup;
	kn = cg ? cg->kn : NULL;

	o->netns = net ? net->ns.inum : 0;
	o->cgroup = cg;
	o->cgroup_id = kn ? kn->id : 0;
}

static __always_inline void owner_probed(const struct sock *sk, struct sock_owner *o)
{
	const struct net *net = NULL;
	const struct cgroup *cg = NULL;
	const struct kernfs_node *kn = NULL;

	o->netns = 0;
	o->cgroup_id = 0;
	core_read_into(&net, sk->__sk_common.skc_net.net);
	if (net)
		core_read_into(&o->netns, net->ns.inum);
	if (core_field_exists(sk->sk_cgrp_data.cgroup))
		core_read_into(&cg, sk->sk_cgrp_data.cgroup);
	if (cg)
		core_read_into(&kn, cg->kn);
	if (kn)
		core_read_into(&o->cgroup_id, kn->id);
	o->cgroup = cg;
}

/* --cgroup: the socket's cgroup is the target or below it. Walked up through each cgroup's own css
 * (css.parent, then its cgroup): kernfs_node's parent changed name across kernels, and
 * cgroup->ancestors[] is younger than tp_btf. Plain loads with tp_btf (btf), probe reads otherwise. */
static __always_inline bool cgroup_wanted(const struct sock_owner *o, bool btf)
{
	const struct cgroup *cg = o->cgroup;

	if (!target_cgroup || o->cgroup_id == target_cgroup)
		return true;
	for (int i = 0; i < MAX_CGROUP_DEPTH && cg; i++) {
		const struct cgroup_subsys_state *parent = NULL;
		const struct kernfs_node *kn = NULL;
		__u64 id = 0;

		if (btf) {
			parent = cg->self.parent;
			cg = parent ? parent->cgroup : NULL;
			kn = cg ? cg->kn : NULL;
			id = kn ? kn->id : 0;
		} else {
			core_read_into(&parent, cg->self.parent);
			cg = NULL;
			if (parent)
				core_read_into(&cg, parent->cgroup);
			if (cg)
				core_read_into(&kn, cg->kn);
			if (kn)
				core_read_into(&id, kn->id);
		}
		if (id == target_cgroup)
			return true;
	}
	return false;
}

static __always_inline bool owner_wanted(const struct sock_owner *o, bool btf)
{
	if (target_netns && o->netns != target_netns)
		return false;
	return cgroup_wanted(o, btf);
}

/* Ring buffer, after a record went in: wakes the reader if it waits (reader_waiting) by a record of no use, discarded
 * with a forced wakeup, in the shared ring, which the reader always polls. The reader sets the flag, then waits for an
 * RCU grace period before it looks at the rings a last time: a run of this program that ended before then left its
 * record for the reader to see, and one that began after sees the flag. Two CPUs may both ring: the reader wakes once. */
static __always_inline void ring_wake_reader(void)
{
	void *bell;

	if (!reader_waiting)
		return;
	bell = bpf_ringbuf_reserve(&events, 8, 0);
	if (bell) {
		reader_waiting = 0;
		bpf_ringbuf_discard(bell, BPF_RB_FORCE_WAKEUP);
	}
}

/* A record of size bytes (a multiple of 8) in this CPU's ring (see cpu_rings), its header marked busy, or NULL when
 * the ring is full. Where the rest of the ring cannot take it, the rest is a discarded record and it starts over. */
static __always_inline void *cpu_ring_reserve(__u64 size)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct cpu_ring *r = bpf_map_lookup_elem(&cpu_rings, &cpu);
	__u64 total = size + RINGBUF_HDR_SZ, prod, cons, off, pad = 0;
	__u64 *header;

	if (!r)
		return NULL;
	prod = r->producer;
	cons = *(volatile __u64 *)&r->consumer;
	off = prod & (cpu_ring_bytes - 1) & ~7ULL;
	if (off > cpu_ring_bytes - total)
		pad = cpu_ring_bytes - off;
	if (prod + pad + total - cons > cpu_ring_bytes)
		return NULL;
	if (pad) {
		*(__u64 *)(r->data + off) = (pad - RINGBUF_HDR_SZ) | RINGBUF_DISCARD_BIT;
		off = 0;
	}
	if (off > CPU_RING_MAX - total)   /* never: for the verifier */
		return NULL;
	header = (__u64 *)(r->data + off);
	*header = size | RINGBUF_BUSY_BIT;
	barrier();
	if (weak_memory_order)
		__sync_lock_test_and_set(&r->producer, prod + pad + total);
	else
		*(volatile __u64 *)&r->producer = prod + pad + total;
	return header + 1;
}

/* This CPU's ring: the record, written, goes to the reader (its header's busy bit cleared). */
static __always_inline void cpu_ring_commit(void *record, __u64 size)
{
	barrier();
	if (weak_memory_order)
		__sync_lock_test_and_set((__u64 *)record - 1, size);
	else
		*(volatile __u64 *)((__u64 *)record - 1) = size;
}

/* A record of size bytes in this CPU's ring where own_ring (ring_per_cpu, and the program is its CPU's main one),
 * else or when that is full in the shared ring buffer; *own says which, for ring_submit. */
static __always_inline void *ring_reserve(__u64 size, bool own_ring, bool *own)
{
	void *r = NULL;

	*own = false;
	if (ring_per_cpu && own_ring) {
		r = cpu_ring_reserve(size);
		if (r) {
			*own = true;
			return r;
		}
	}
	return bpf_ringbuf_reserve(&events, size, 0);
}

/* Ring buffer: the record goes in, without the kernel's wakeup (see reader_waiting). */
static __always_inline void ring_submit(void *record, __u64 size, bool own)
{
	if (own)
		cpu_ring_commit(record, size);
	else
		bpf_ringbuf_submit(record, BPF_RB_NO_WAKEUP);
	ring_wake_reader();
}

/* Where an event is built: in a ring itself, or on the stack for the perf buffer. */
static __always_inline struct event *event_start(struct event *on_stack, bool own_ring, bool *own)
{
	*own = false;
	if (!use_ringbuf)
		return on_stack;
	return ring_reserve(sizeof(struct event), own_ring, own);
}

/* One more in a one-entry per-CPU counter map (drops, caught, seen). */
static __always_inline void count(void *map)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(map, &zero);

	if (n)
		*n += 1;
}

static __always_inline void event_send(void *ctx, struct event *e, bool own)
{
	if (use_ringbuf) {
		ring_submit(e, sizeof(*e), own);
	} else if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e, sizeof(*e))) {
		/* Counted here too: the kernel's PERF_RECORD_LOST only comes with the next record that fits,
		 * so losses just before the tool exits would never be reported. */
		count(&drops);
	}
}

static __always_inline void event_fill(struct event *e, __u64 sk, int oldstate, int newstate, __u64 ts, __u64 since)
{
	e->skaddr = sk;
	e->ts_ns = ts;
	if (use_ringbuf)
		e->delta_us = DELTA_BY_READER;
	else
		e->delta_us = since ? (ts - since) / 1000 : 0;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->__pad = 0;
}

/* The task on CPU: its tgid and name. With tp_btf (btf) read straight from the task (5.11 and later), which costs
 * two loads where the helpers cost a call each and a string copy. */
static __always_inline void task_into(__u32 *pid, char *name, bool btf)
{
	if (btf && core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
		const struct task_struct *task = bpf_get_current_task_btf();

		*pid = task->tgid;
		*(__u64 *)name = *(const __u64 *)task->comm;
		*(__u64 *)(name + 8) = *(const __u64 *)(task->comm + 8);
	} else {
		*pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(name, TASK_COMM_LEN);
	}
}

/* Either record (struct event or struct event_ipv4): both have pid and task. */
#define event_task(e, btf) task_into(&(e)->pid, (e)->task, btf)

/* The local port as the socket keeps it for its peer (network order). Not skc_num: that is 0 once the socket left
 * its port, on the change to CLOSE. inet_sock extends sock past what the verifier knows of a struct sock pointer:
 * tp_btf gets a tcp_sock pointer to load from (5.9 and later), else it reads. */
static __always_inline __u16 local_port_btf(const struct sock *sk)
{
	__be16 port = 0;

	if (core_enum_value_exists(enum bpf_func_id, BPF_FUNC_skc_to_tcp_sock)) {
		const struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);

		if (tp) {
			port = tp->inet_conn.icsk_inet.inet_sport;
			barrier_var(port);   /* loaded here: one load for both ways would carry two kinds of pointer */
			return port;
		}
	}
	core_read_into(&port, ((const struct inet_sock *)sk)->inet_sport);
	return port;
}

static __always_inline __u64 states_of(__u64 *ctx)
{
	return ctx[1] << 32 | (__u32)ctx[2];
}

/* Ring buffer, an IPv4 change whose owner is not wanted: the one-line record (struct event_ipv4); a full ring is
 * counted. Returns the change's time, taken once the record has its place (see trace_btf). own_ring: the caller is
 * its CPU's main program (see ring_reserve). */
static __always_inline __u64 ipv4_send(__u64 sk, int oldstate, int newstate, __u16 sport, __u16 dport, bool btf,
				       __u32 saddr, __u32 daddr, bool own_ring)
{
	bool own;
	struct event_ipv4 *c = ring_reserve(sizeof(*c), own_ring, &own);
	__u64 ts = bpf_ktime_get_ns();

	if (!c) {
		count(&drops);
		return ts;
	}
	c->skaddr = sk;
	c->ts_ns = ts;
	c->oldstate = oldstate;
	c->newstate = newstate;
	c->sport = sport;
	c->dport = dport;
	*(__u32 *)c->saddr = saddr;
	*(__u32 *)c->daddr = daddr;
	c->__pad = 0;
	c->__pad2 = 0;
	event_task(c, btf);
	ring_submit(c, sizeof(*c), own);
	return ts;
}

/* tp_btf: the socket is a typed kernel pointer, read with plain loads (relocated by CO-RE). main: called from
 * tcpstates_btf, which alone writes its CPU's ring. */
static __always_inline int trace_btf(__u64 *ctx, bool main)
{
	const struct sock *sk = (const struct sock *)ctx[0];
	int oldstate = (int)ctx[1];
	int newstate = (int)ctx[2];
	struct event on_stack, *e;
	struct sk_state *st = NULL;
	struct sock_owner owner;
	__u16 family, sport, dport;
	__u64 ts = 0;
	bool own;

	/* Perf buffer only (see sk_states); a socket filtered out keeps no timestamp, as in the original. */
	if (!use_ringbuf)
		st = bpf_sk_storage_get(&sk_states, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (sk->sk_protocol != IPPROTO_TCP)
		goto remember;
	family = sk->__sk_common.skc_family;
	if (target_family && target_family != family)
		goto remember;
	sport = bswap16(local_port_btf(sk));
	dport = bswap16(sk->__sk_common.skc_dport);
	if (!ports_wanted(sport, dport))
		goto remember;
	owner.netns = 0;
	owner.cgroup_id = 0;
	if (want_owner) {
		owner_btf(sk, &owner);
		if (!owner_wanted(&owner, true))
			goto remember;
	}

	if (use_ringbuf && !want_owner && family == AF_INET) {
		ts = ipv4_send((__u64)sk, oldstate, newstate, sport, dport, true,
			       sk->__sk_common.skc_rcv_saddr, sk->__sk_common.skc_daddr, main);
		goto remember;
	}
	e = event_start(&on_stack, main, &own);
	/* The time once the record has its place: a record the reader cannot see yet then carries a later
	 * time than the reader's last clock reading. Two records may still carry times in the other order
	 * than their places (a program interrupted in between); the reader allows for that. */
	ts = bpf_ktime_get_ns();
	if (!e) {
		count(&drops);
		goto remember;
	}
	barrier_var(e);
	event_fill(e, (__u64)sk, oldstate, newstate, ts, st ? st->ts : 0);
	event_task(e, true);
	e->family = family;
	e->sport = sport;
	e->dport = dport;
	e->netns = owner.netns;
	e->cgroup_id = owner.cgroup_id;
	if (family == AF_INET) {
		*(__u32 *)e->saddr = sk->__sk_common.skc_rcv_saddr;
		*(__u32 *)e->daddr = sk->__sk_common.skc_daddr;
		__builtin_memset(e->saddr + 4, 0, 12);
		__builtin_memset(e->daddr + 4, 0, 12);
	} else {
		__builtin_memcpy(e->saddr, &sk->__sk_common.skc_v6_rcv_saddr, 16);
		__builtin_memcpy(e->daddr, &sk->__sk_common.skc_v6_daddr, 16);
	}
	event_send(ctx, e, own);
remember:
	if (st)
		st->ts = newstate == TCP_CLOSE ? 0 : ts;
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int tcpstates_btf(__u64 *ctx)
{
	struct marks *m = marks_here();

	/* First, whatever comes next: every change this program is called for is marked (see tcpstates_btf_nested). */
	if (m)
		mark_push(m, ctx[0], states_of(ctx));
	count(&seen);
	return trace_btf(ctx, true);
}

/*
 * The kernel runs a program at most once per CPU at a time: a TCP state change in a softirq that
 * interrupts tcpstates_btf finds it busy and is skipped (a recursion miss: lost unseen). This second
 * program on the same tracepoint, attached after the first so that it runs right after it, catches
 * those. tcpstates_btf pushes each change it is called for onto this CPU's marks; when this program
 * finds its change among them, the first one ran, and it takes that mark out. A change not marked was
 * skipped, and this program traces it, leaving the marks alone: the newest belongs to the change that was
 * interrupted, whose turn here comes next. While it runs, changes that interrupt it are not marked (the kernel
 * skips this program for them; see marks.h). Left uncaught: a change skipped by both (nesting two deep, which
 * TCP does not do: it changes no state in hard interrupts) or a skipped change that repeats exactly a change
 * still marked on this CPU; the tool still reports those as lost (misses less catches). Traced twice: a change
 * whose mark more than MARKS changes overwrote in the instants before this program could say it runs.
 */
SEC("tp_btf/inet_sock_set_state")
int tcpstates_btf_nested(__u64 *ctx)
{
	struct marks *m = marks_here();

	if (!m || !nested_enter(m))
		return 0;
	if (!mark_take(m, ctx[0], states_of(ctx))) {
		count(&caught);
		trace_btf(ctx, false);
	}
	nested_leave(m);
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int tcpstates_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct event on_stack, *e;
	struct sock_owner owner;
	bool own;
	__u16 family = ctx->family;
	__u64 sk = (__u64)ctx->skaddr, ts, since, *tsp;
	int newstate = ctx->newstate;

	count(&seen);
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (target_family && target_family != family)
		return 0;
	if (!ports_wanted(ctx->sport, ctx->dport)) {
		if (!use_ringbuf)
			bpf_map_delete_elem(&timestamps, &sk);
		return 0;
	}
	owner.netns = 0;
	owner.cgroup_id = 0;
	if (want_owner) {
		owner_probed((const struct sock *)sk, &owner);
		if (!owner_wanted(&owner, false)) {
			if (!use_ringbuf)
				bpf_map_delete_elem(&timestamps, &sk);
			return 0;
		}
	}

	if (use_ringbuf && !want_owner && family == AF_INET) {
		__u32 saddr = 0, daddr = 0;

		/* Copied, not loaded: the verifier takes no loads from the middle of a tracepoint's arrays. */
		bpf_probe_read_kernel(&saddr, 4, ctx->saddr);
		bpf_probe_read_kernel(&daddr, 4, ctx->daddr);
		ipv4_send(sk, ctx->oldstate, newstate, ctx->sport, ctx->dport, false, saddr, daddr, true);
		return 0;
	}
	e = event_start(&on_stack, true, &own);
	ts = bpf_ktime_get_ns();   /* after the reservation, as in trace_btf */
	/* Checked before the perf buffer's timestamps (where e is never NULL), not after: there Linux 6.1's
	 * verifier took the check for a NULL record to hold a reservation still (an unreleased reference)
	 * once the record could come from either of two rings. */
	if (!e) {
		count(&drops);
		return 0;
	}
	barrier_var(e);
	since = 0;
	if (!use_ringbuf) {
		tsp = bpf_map_lookup_elem(&timestamps, &sk);
		since = tsp ? *tsp : 0;
		if (newstate == TCP_CLOSE)
			bpf_map_delete_elem(&timestamps, &sk);
		else
			bpf_map_update_elem(&timestamps, &sk, &ts, BPF_ANY);
	}
	event_fill(e, sk, ctx->oldstate, newstate, ts, since);
	event_task(e, false);
	e->family = family;
	e->sport = ctx->sport;
	e->dport = ctx->dport;
	e->netns = owner.netns;
	e->cgroup_id = owner.cgroup_id;
	/* Copied, not loaded: the verifier takes no loads from the middle of a tracepoint's arrays. */
	if (family == AF_INET) {
		bpf_probe_read_kernel(e->saddr, 4, ctx->saddr);
		bpf_probe_read_kernel(e->daddr, 4, ctx->daddr);
		__builtin_memset(e->saddr + 4, 0, 12);
		__builtin_memset(e->daddr + 4, 0, 12);
	} else {
		bpf_probe_read_kernel(e->saddr, 16, ctx->saddr_v6);
		bpf_probe_read_kernel(e->daddr, 16, ctx->daddr_v6);
	}
	event_send(ctx, e, own);
	return 0;
}

/*
 * Classic tracepoint: the kernel's count of the tracepoint's hits, from a raw tracepoint, which the
 * kernel calls on a path of its own. A classic tracepoint program is reached through perf, which can drop
 * a hit unseen and uncounted when its per-CPU recursion context is taken, and whose own hit counter
 * counts nothing while the program returns 0. The tool compares these hits (plus this program's own
 * recursion misses, and perf's count of the hits the kernel ran neither program for) with what
 * tcpstates_tp was called for or missed, and reports the difference.
 */
SEC("raw_tp/inet_sock_set_state")
int tcpstates_hits(void *ctx)
{
	count(&hits);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
