// SPDX-License-Identifier: GPL-2.0
/* Loader test: CO-RE accesses to a type the kernel lacks are poisoned, so a guarded one loads and an unguarded one is refused. */
#include "bpf_base.h"

struct no_such_kernel_struct {
	int first;
	int missing_field;
} __attribute__((preserve_access_index));

/* A kernel type with a field the kernel does not have. */
struct task_struct___compat {
	int no_such_field_for_tests;
	int tgid;
} __attribute__((preserve_access_index));

static void *(*get_current_task_btf)(void) = (void *)BPF_FUNC_get_current_task_btf;

volatile const __u32 target_tgid;
__u64 field_result = 99;
__u64 type_result = 99;
__u64 tgid_result;
__u64 runs;

SEC("tp_btf/sys_enter")
int guarded(u64 *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	struct no_such_kernel_struct *p = (struct no_such_kernel_struct *)ctx[0];
	if (core_field_exists(p->missing_field))
		field_result = core_field_offset(p->missing_field);
	else
		field_result = 7;
	if (core_type_exists(struct no_such_kernel_struct))
		type_result = core_type_size(struct no_such_kernel_struct);
	else
		type_result = 8;

	struct task_struct___compat *t = (struct task_struct___compat *)get_current_task_btf();
	if (core_field_exists(t->no_such_field_for_tests))
		tgid_result = t->no_such_field_for_tests;
	else
		tgid_result = t->tgid;
	runs++;
	return 0;
}

SEC("tp_btf/sys_enter")
int unguarded(u64 *ctx)
{
	struct no_such_kernel_struct *p = (struct no_such_kernel_struct *)ctx[0];
	field_result = core_field_offset(p->missing_field);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
