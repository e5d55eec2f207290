// SPDX-License-Identifier: GPL-2.0
/* Global data in each section, for Collection.Globals: run by BPF_PROG_TEST_RUN, never attached. */
#include "bpf_base.h"

const volatile __u64 factor = 3;  /* .rodata */
__u64 input = 5;                  /* .data */
__u64 output;                     /* .bss */
__u32 runs;                       /* .bss */

/* output = input * factor + the first argument of the context; returns output's low 16 bits. */
SEC("raw_tp/sys_enter")
int compute(__u64 *ctx)
{
	output = input * factor + ctx[0];
	runs++;
	return output & 0xffff;
}

char LICENSE[] SEC("license") = "GPL";
