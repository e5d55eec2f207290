// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The tool's marks (marks.h) on their own, run by BPF_PROG_TEST_RUN: ctx[0] the socket, ctx[1] the states. */
#include "bpf_base.h"
#include "marks.h"

/* What tcpstates_btf does first. */
SEC("raw_tp/inet_sock_set_state")
int push(__u64 *ctx)
{
	struct marks *m = marks_here();

	if (m)
		mark_push(m, ctx[0], ctx[1]);
	return 0;
}

/* What tcpstates_btf_nested does first: 1 when the change was marked. */
SEC("raw_tp/inet_sock_set_state")
int take(__u64 *ctx)
{
	struct marks *m = marks_here();

	return m && mark_take(m, ctx[0], ctx[1]);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
