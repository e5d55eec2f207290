// SPDX-License-Identifier: GPL-2.0
/* One program per attach type the loader knows, each counting its runs in its own slot of `hits`. */
#include "bpf_base.h"

enum { XDP, TCX, SOCKET, CGROUP_SKB, SOCKOPS, CONNECT4, PERF_EVENT, UPROBE, KPROBE, ITER, UPROBE_BY_SECTION, SLOTS };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static long (*bpf_seq_write)(void *seq, const void *data, __u32 len) = (void *)BPF_FUNC_seq_write;

static __always_inline void hit(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&hits, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int count_xdp(struct xdp_md *ctx)
{
	hit(XDP);
	return XDP_PASS;
}

SEC("tcx/ingress")
int count_tcx(struct __sk_buff *skb)
{
	hit(TCX);
	return -1; /* TCX_NEXT */
}

SEC("socket")
int count_socket(struct __sk_buff *skb)
{
	hit(SOCKET);
	return skb->len; /* keep the whole packet */
}

SEC("cgroup_skb/egress")
int count_egress(struct __sk_buff *skb)
{
	hit(CGROUP_SKB);
	return 1;
}

SEC("sockops")
int count_sockops(struct bpf_sock_ops *ops)
{
	hit(SOCKOPS);
	return 1;
}

SEC("cgroup/connect4")
int count_connect4(struct bpf_sock_addr *addr)
{
	hit(CONNECT4);
	return 1;
}

SEC("perf_event")
int count_perf_event(void *ctx)
{
	hit(PERF_EVENT);
	return 0;
}

SEC("uprobe")
int count_uprobe(void *ctx)
{
	hit(UPROBE);
	return 0;
}

/* Attached by its section alone: the test links this path to the C library. */
SEC("uretprobe//tmp/bpfloader-attach-libc.so:getpid")
int count_uretprobe_by_section(void *ctx)
{
	hit(UPROBE_BY_SECTION);
	return 0;
}

SEC("kprobe/do_nothing_here")
int count_kprobe(void *ctx)
{
	hit(KPROBE);
	return 0;
}

/* Kernel types, read by CO-RE: only the members used. */
struct bpf_iter_meta {
	void *seq;
} __attribute__((preserve_access_index));

struct bpf_map {
	__u32 id;
} __attribute__((preserve_access_index));

struct bpf_iter__bpf_map {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
} __attribute__((preserve_access_index));

/* Writes the id of every map in the system, 4 bytes each. */
SEC("iter/bpf_map")
int dump_map_ids(struct bpf_iter__bpf_map *ctx)
{
	struct bpf_map *map = ctx->map;
	if (!map)
		return 0;
	__u32 id = map->id;
	bpf_seq_write(ctx->meta->seq, &id, sizeof(id));
	hit(ITER);
	return 0;
}

SEC("raw_tp")
int bare_raw_tp(void *ctx)
{
	return 0;
}

/* A section no loader knows: the object's other programs still load. */
SEC("no_such_hook/at_all")
int unknown_hook(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
