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

/* What tcpstates_btf_nested does around its work: 1 when the change was marked, 0 when it would trace it, 2 when it
 * found itself running already. */
SEC("raw_tp/inet_sock_set_state")
int take(__u64 *ctx)
{
	struct marks *m = marks_here();
	int marked;

	if (!m || !nested_enter(m))
		return 2;
	marked = mark_take(m, ctx[0], ctx[1]);
	nested_leave(m);
	return marked;
}

/* tcpstates_btf_nested's first step alone (an interrupt comes after it): 1 when it entered. */
SEC("raw_tp/inet_sock_set_state")
int nested_begin(__u64 *ctx)
{
	struct marks *m = marks_here();

	return m && nested_enter(m);
}

/* The rest of a run nested_begin started: 1 when the change was marked. */
SEC("raw_tp/inet_sock_set_state")
int nested_end(__u64 *ctx)
{
	struct marks *m = marks_here();
	int marked;

	if (!m)
		return 2;
	marked = mark_take(m, ctx[0], ctx[1]);
	nested_leave(m);
	return marked;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
