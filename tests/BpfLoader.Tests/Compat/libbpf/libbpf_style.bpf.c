// SPDX-License-Identifier: GPL-2.0
/*
 * Written as a libbpf user writes: a bpftool-generated vmlinux.h and libbpf's own headers, unchanged.
 * Compiled at test time (not by the build), so the loader meets exactly what those headers produce.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern u32 LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

struct event {
	u32 tgid;
	u32 parent_tgid;
	u32 kernel_version;
	u32 from_kfunc;
	long syscall;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

const volatile u32 target_tgid = 0;
struct event last = {};

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid != target_tgid)
		return 0;

	u64 one = 1, *count = bpf_map_lookup_elem(&counts, &tgid);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&counts, &tgid, &one, BPF_NOEXIST);

	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	e->tgid = tgid;
	e->parent_tgid = BPF_CORE_READ(task, real_parent, tgid);
	e->kernel_version = CONFIG_BPF_SYSCALL ? LINUX_KERNEL_VERSION : 0;
	e->from_kfunc = 0;
	struct task_struct *self = bpf_task_from_pid(tgid);
	if (self) {
		e->from_kfunc = self->tgid;
		bpf_task_release(self);
	}
	e->syscall = id;
	last = *e;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
