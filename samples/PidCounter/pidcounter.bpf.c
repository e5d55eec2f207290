// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* connect() calls per process, counted in a hash map at the classic tracepoint syscalls:sys_enter_connect. */
#include <bpf_base.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);   /* the process (tgid) */
	__type(value, u64); /* its connect() calls */
} connects SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_connect")
int count_connect(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1;
	u64 *count = bpf_map_lookup_elem(&connects, &pid);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&connects, &pid, &one, BPF_NOEXIST);
	return 0;
}
