// SPDX-License-Identifier: GPL-2.0
/*
 * Loader spec test: several programs per section, static and global subprograms in .text
 * called from two programs (and from each other), maps of several kinds, global data.
 */
#include "bpf_base.h"

#define __noinline __attribute__((noinline))

struct pair {
	__u32 a;
	__u64 b;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, struct pair);
} pairs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} percpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__uint(map_flags, 2); /* BPF_F_NO_COMMON_LRU */
	__type(key, __u64);
	__type(value, __u32);
} lru SEC(".maps");

const volatile __u32 answer = 42;
const volatile __u64 big_constant = 0x1122334455667788ULL;
const volatile char label[8] = "label";
__u32 data_counter = 7;
__u64 data_second = 9;
__u64 bss_total;
__u32 bss_hits[4];
/* Static: referenced through the section symbol plus an offset. */
static volatile __u32 static_data = 3;
static volatile __u32 static_data2 = 5;

static __noinline __u64 static_helper(__u64 x)
{
	bss_total += x;
	return x * answer;
}

__noinline int global_helper(__u32 key)
{
	struct pair *p = bpf_map_lookup_elem(&pairs, &key);
	if (!p)
		return 0;
	return (int)static_helper(p->b) + data_counter;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int first_tp(void *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&percpu, &k);
	if (v)
		*v += big_constant;
	bss_hits[1]++;
	return global_helper(1);
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int second_tp(void *ctx)
{
	data_second++;
	return (int)static_helper(label[1]);
}

SEC("tp/syscalls/sys_enter_getppid")
int third_tp(void *ctx)
{
	__u64 key = bpf_get_current_pid_tgid();
	__u32 one = 1;
	bpf_map_update_elem(&lru, &key, &one, BPF_ANY);
	bpf_ringbuf_output(&ring, &one, sizeof(one), 0);
	bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &one, sizeof(one));
	return global_helper(2);
}

SEC("raw_tp/sched_switch")
int raw_prog(void *ctx)
{
	return answer == 42 && static_data2 == 5 && static_data == 3;
}

SEC("tp_btf/sched_switch")
int btf_prog(void *ctx)
{
	return 0;
}

SEC("fentry/do_nanosleep")
int entry_prog(void *ctx)
{
	return 0;
}

SEC("fexit/do_nanosleep")
int exit_prog(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
