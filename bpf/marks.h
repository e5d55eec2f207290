/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tp_btf: the changes tcpstates_btf was called for on this CPU and tcpstates_btf_nested has not yet found,
 * newest first, which tell tcpstates_btf_nested whether it ran (see there). A softirq can come between the
 * two programs' runs for a task's change, or interrupt tcpstates_btf_nested before its check (then the
 * softirq's changes stay marked: the nested program was busy), so a change's mark may be under a few others.
 * Per CPU: plain stores and loads, no helper call.
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct marks);
} marks SEC(".maps");

/* This CPU's marks. */
static __always_inline struct marks *marks_here(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&marks, &zero);
}

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
