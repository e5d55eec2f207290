// SPDX-License-Identifier: GPL-2.0
/*
 * Emits numbered records through both transports, for the ring reader tests:
 * each getppid() makes `count` records of struct rings_record, through the ring buffer `rb`
 * and/or the perf event array `pb`. seq comes from one global counter, so the reader can check
 * that nothing was lost, duplicated or reordered (per transport, per CPU for pb).
 */
#include "bpf_base.h"

struct rings_record {
	__u64 seq;
	__u32 cpu;
	__u32 size;        /* sizeof(struct rings_record), so a reader can spot perf's padding */
	__u64 pad[2];      /* 32 bytes in all */
};

const volatile __u32 count = 1;
const volatile bool use_rb = true;
const volatile bool use_pb = true;
/* Only the process under test triggers emission; 0 means any. */
const volatile __u32 target_tgid = 0;

__u64 next_seq = 0;
__u64 rb_failed = 0;   /* bpf_ringbuf_output errors: ring full */
__u64 pb_failed = 0;   /* bpf_perf_event_output errors */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pb SEC(".maps");

#define MAX_COUNT 4096

SEC("tracepoint/syscalls/sys_enter_getppid")
int emit(void *ctx)
{
	struct rings_record r = {};
	__u32 n = count;

	if (target_tgid && (bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	if (n > MAX_COUNT)
		n = MAX_COUNT;

	r.cpu = bpf_get_smp_processor_id();
	r.size = sizeof(r);
	for (__u32 i = 0; i < MAX_COUNT; i++) {
		if (i >= n)
			break;
		r.seq = __sync_fetch_and_add(&next_seq, 1);
		r.pad[0] = ~r.seq;
		r.pad[1] = i;
		if (use_rb && bpf_ringbuf_output(&rb, &r, sizeof(r), 0) != 0)
			__sync_fetch_and_add(&rb_failed, 1);
		if (use_pb && bpf_perf_event_output(ctx, &pb, BPF_F_CURRENT_CPU, &r, sizeof(r)) != 0)
			__sync_fetch_and_add(&pb_failed, 1);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
