// SPDX-License-Identifier: GPL-2.0
/* Loader test: __kconfig and __ksym externs (typed, untyped, weak) and kfunc calls, as libbpf objects use them. */
#include "bpf_base.h"

#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif
#ifndef __kconfig
#define __kconfig __attribute__((section(".kconfig")))
#endif
#ifndef __weak
#define __weak __attribute__((weak))
#endif
#define ksym_exists(sym) (!!&(sym))

struct task_struct {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

struct rq {
	int cpu;
} __attribute__((preserve_access_index));

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern void bpf_no_such_kfunc_for_tests(void) __ksym __weak;
extern const struct rq runqueues __ksym;        /* typed: BPF_PSEUDO_BTF_ID of a per-CPU VAR */
extern const void _text __ksym;                  /* untyped: an address from /proc/kallsyms */
extern const void no_such_symbol_for_tests __ksym __weak;

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern int CONFIG_HZ __kconfig __weak;
extern char CONFIG_LOCALVERSION[32] __kconfig __weak;
extern bool CONFIG_NO_SUCH_OPTION_FOR_TESTS __kconfig __weak;
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;

static void *(*bpf_per_cpu_ptr)(const void *percpu_ptr, __u32 cpu) = (void *)BPF_FUNC_per_cpu_ptr;

volatile const __u32 target_tgid;

__u64 kernel_version;
__u64 bpf_syscall;
__u64 hz;
__u64 no_such_option = 99;
__u64 syscall_wrapper = 99;
char localversion[32];
__u64 text_address;
__u64 missing_symbol_address = 99;
__u64 task_tgid;
__u64 rq_cpu = 99;
__u64 missing_kfunc = 99;
__u64 runs;

SEC("tp_btf/sys_enter")
int externs(u64 *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	kernel_version = LINUX_KERNEL_VERSION;
	bpf_syscall = CONFIG_BPF_SYSCALL;
	hz = CONFIG_HZ;
	no_such_option = CONFIG_NO_SUCH_OPTION_FOR_TESTS;
	syscall_wrapper = LINUX_HAS_SYSCALL_WRAPPER;
	for (int i = 0; i < 32; i++)
		localversion[i] = CONFIG_LOCALVERSION[i];
	text_address = (__u64)&_text;
	missing_symbol_address = (__u64)&no_such_symbol_for_tests;

	struct task_struct *t = bpf_task_from_pid(target_tgid);
	if (t) {
		task_tgid = t->tgid;
		bpf_task_release(t);
	}
	if (ksym_exists(bpf_no_such_kfunc_for_tests)) {
		bpf_no_such_kfunc_for_tests();
		missing_kfunc = 1;
	} else {
		missing_kfunc = 0;
	}
	runs++;
	return 0;
}

/* Apart: the kernel resolves a typed ksym's address through kallsyms, which lacks data symbols without CONFIG_KALLSYMS_ALL. */
SEC("tp_btf/sys_enter")
int typed_ksym(u64 *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	struct rq *rq = bpf_per_cpu_ptr(&runqueues, 0);
	if (rq)
		rq_cpu = rq->cpu;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
