// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* One program per attach type the kernel matrix checks; each counts, in hits[its slot], the times it ran in
 * the thread attach-check triggers from (config[0], a thread id), so other tasks' calls do not count.
 * The kernel side of every hook is getpid() (__task_pid_nr_ns, on every architecture) or, for LSM, open(). */
#include <bpf_base.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Slots; the same numbers as AttachType in Program.cs. */
enum { KPROBE, KRETPROBE, UPROBE, URETPROBE, FENTRY, FEXIT, LSM, SLOTS };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, u32);
	__type(value, u64);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32); /* the triggering thread's id; 0 counts nothing */
} config SEC(".maps");

static __always_inline void count(u32 slot)
{
	u32 zero = 0;
	u32 *tid = bpf_map_lookup_elem(&config, &zero);
	if (!tid || *tid == 0 || *tid != (u32)bpf_get_current_pid_tgid())
		return;
	u64 *n = bpf_map_lookup_elem(&hits, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
}

SEC("kprobe/__task_pid_nr_ns")
int on_kprobe(void *ctx)
{
	count(KPROBE);
	return 0;
}

SEC("kretprobe/__task_pid_nr_ns")
int on_kretprobe(void *ctx)
{
	count(KRETPROBE);
	return 0;
}

/* Attached by hand (PerfEventLink.AttachUprobe) to libc's getpid, wherever this process maps libc. */
SEC("uprobe")
int on_uprobe(void *ctx)
{
	count(UPROBE);
	return 0;
}

SEC("uretprobe")
int on_uretprobe(void *ctx)
{
	count(URETPROBE);
	return 0;
}

SEC("fentry/__task_pid_nr_ns")
int BPF_PROG(on_fentry)
{
	count(FENTRY);
	return 0;
}

SEC("fexit/__task_pid_nr_ns")
int BPF_PROG(on_fexit)
{
	count(FEXIT);
	return 0;
}

/* Allows every open: it only counts. */
SEC("lsm/file_open")
int BPF_PROG(on_lsm)
{
	count(LSM);
	return 0;
}
