// SPDX-License-Identifier: GPL-2.0
/* A program the verifier must reject (a map value used without the NULL check), between two it accepts. */
#include "bpf_base.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} values SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int accepted_first(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int unchecked_lookup(void *ctx)
{
	__u32 key = 1;
	__u64 *v = bpf_map_lookup_elem(&values, &key);
	return (int)*v; /* no NULL check: rejected */
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int accepted_last(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
