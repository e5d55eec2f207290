/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Marks: the changes tcpstates_btf was called for on this CPU and tcpstates_btf_nested has not yet found,
 * newest first (see tcpstates_btf_nested). A program keeps them in a one-entry per-CPU array of struct marks.
 */
#ifndef TCPSTATES_MARKS_H
#define TCPSTATES_MARKS_H

#define MARKS 4

struct change {
	__u64 sk;
	__u64 states;   /* oldstate << 32 | newstate */
};

struct marks {
	struct change newest[MARKS];   /* [0] the newest; sk 0: none */
};

/* Marks a change, the newest; the oldest mark falls off. */
static __always_inline void mark_push(struct marks *m, __u64 sk, __u64 states)
{
	for (int i = MARKS - 1; i > 0; i--)
		m->newest[i] = m->newest[i - 1];
	m->newest[0].sk = sk;
	m->newest[0].states = states;
}

/* Whether the change was marked; its mark is then taken out and the older ones move up, so that the marks of
 * changes made and found in between (a softirq's, between the two programs' runs for a task's change) leave no
 * holes that push the older marks off. */
static __always_inline bool mark_take(struct marks *m, __u64 sk, __u64 states)
{
	for (int i = 0; i < MARKS; i++) {
		if (m->newest[i].sk == sk && m->newest[i].states == states) {
			for (int j = i; j < MARKS - 1; j++)
				m->newest[j] = m->newest[j + 1];
			m->newest[MARKS - 1].sk = 0;
			return true;
		}
	}
	return false;
}

#endif
