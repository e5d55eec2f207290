// SPDX-License-Identifier: GPL-2.0
/* Loader test: maps of maps with an inner template and initial values, and a prog array with an initial program. */
#include "bpf_base.h"

static long (*tail_call)(void *ctx, void *prog_array_map, __u32 index) = (void *)BPF_FUNC_tail_call;

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner inner_a SEC(".maps");
struct inner inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [0] = &inner_a, [1] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct inner);
} outer_hash SEC(".maps") = {
	.values = { [5] = &inner_b },
};

volatile const __u32 target_tgid;
__u64 tail_hits;
__u64 tail_missed;

static void put(void *outer_map, __u32 slot, __u32 index, __u64 value)
{
	void *inner_map = bpf_map_lookup_elem(outer_map, &slot);
	if (inner_map)
		bpf_map_update_elem(inner_map, &index, &value, BPF_ANY);
}

SEC("tp_btf/sys_enter")
int through_outer(u64 *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	put(&outer, 0, 1, 42);
	put(&outer, 1, 2, 43);
	put(&outer_hash, 5, 3, 44);
	return 0;
}

SEC("tp_btf/sys_enter")
int tail_target(u64 *ctx)
{
	tail_hits++;
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int(void *));
} jumps SEC(".maps") = {
	.values = { [1] = (void *)&tail_target },
};

SEC("tp_btf/sys_enter")
int tail_entry(u64 *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	tail_call(ctx, &jumps, 1);
	tail_missed++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
