// SPDX-License-Identifier: GPL-2.0
/* Loader CO-RE test: an unguarded access to a type the kernel does not have must fail to relocate. */
#include "bpf_base.h"

struct no_such_kernel_struct {
	int first;
	int missing_field;
} __attribute__((preserve_access_index));

__u64 out;

SEC("tp_btf/inet_sock_set_state")
int core_missing(__u64 *ctx)
{
	struct no_such_kernel_struct *p = (struct no_such_kernel_struct *)ctx[0];
	out = __builtin_preserve_field_info(p->missing_field, CORE_FIELD_BYTE_OFFSET);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
