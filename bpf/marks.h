/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tp_btf: the changes tcpstates_btf was called for on this CPU, which tell tcpstates_btf_nested whether it ran (see
 * there): a stack, the newest on top. A softirq can come between the two programs' runs for a task's change (its own
 * changes are marked and found in turn, on top), or while tcpstates_btf_nested runs: the kernel then skips that
 * program for the softirq's changes, and no one takes their marks. So tcpstates_btf marks nothing once
 * tcpstates_btf_nested says it runs (nested_running); in the instants before it can, a softirq still leaves as many
 * marks as it makes changes (hundreds), on top of the one it will look for, which stays near the bottom. Those are
 * taken off with it: once a change is found, whatever is above it is such a mark, and of what is below only the next
 * can still be looked for (the task's change a softirq's change came between the programs of; TCP changes no state
 * in hard interrupts).
 * Per CPU: plain stores and loads, no helper call.
 */
#ifndef TCPSTATES_MARKS_H
#define TCPSTATES_MARKS_H

#define MARKS 1024   /* a power of two, more than a softirq makes changes at once; 16 KiB a CPU */

struct change {
	__u64 sk;
	__u64 states;   /* oldstate << 32 | newstate */
};

struct marks {
	__u64 top;              /* the newest mark's number (slot top % MARKS); 0: none yet */
	__u64 floor;            /* marks numbered up to this one are gone */
	__u64 nested_running;   /* tcpstates_btf_nested runs on this CPU: a change now interrupts it */
	__u64 __pad;
	struct change slot[MARKS];
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

/* Marks a change, the newest (past MARKS, the oldest is overwritten). None while tcpstates_btf_nested runs. */
static __always_inline void mark_push(struct marks *m, __u64 sk, __u64 states)
{
	__u64 n;

	if (m->nested_running)
		return;
	n = m->top + 1;
	m->top = n;
	m->slot[n & (MARKS - 1)].sk = sk;
	m->slot[n & (MARKS - 1)].states = states;
	if (n - m->floor > MARKS)
		m->floor = n - MARKS;
}

/* Whether mark n is the change; it is then taken off with every mark above it and every one below it but the next
 * (see above). */
static __always_inline bool mark_taken_at(struct marks *m, __u64 n, __u64 sk, __u64 states)
{
	struct change *c = &m->slot[n & (MARKS - 1)];

	if (c->sk != sk || c->states != states)
		return false;
	m->top = n - 1;
	if (n > m->floor + 2)
		m->floor = n - 2;
	return true;
}

/*
 * Whether the change was marked. Where its mark can be: on top (no softirq came, or this is a softirq's change), or
 * near the bottom, under the marks a softirq left in the instants before the nested program said it runs (the
 * bottom: the mark kept from the last one found, and those of a softirq that came in the instants after the nested
 * program last said it stopped, which the kernel skipped it for too). A few looks, not a search of the stack: the
 * verifier walks a loop once per turn, and a long one would cost every start milliseconds.
 */
#define MARKS_FROM_BOTTOM 4

static __always_inline bool mark_take(struct marks *m, __u64 sk, __u64 states)
{
	__u64 top = m->top, floor = m->floor;

	if (top <= floor)
		return false;
	if (mark_taken_at(m, top, sk, states))
		return true;
	for (int i = 1; i <= MARKS_FROM_BOTTOM; i++) {
		if (floor + i >= top)
			break;
		if (mark_taken_at(m, floor + i, sk, states))
			return true;
	}
	return false;
}

/* tcpstates_btf_nested's first step: false when it already runs on this CPU, which only a kernel without the
 * recursion check does (running it inside itself); that kernel skips no program, so there is nothing to catch. */
static __always_inline bool nested_enter(struct marks *m)
{
	if (m->nested_running)
		return false;
	*(volatile __u64 *)&m->nested_running = 1;   /* stored here, before the search: the compiler may not sink it */
	return true;
}

/* tcpstates_btf_nested's last step. */
static __always_inline void nested_leave(struct marks *m)
{
	*(volatile __u64 *)&m->nested_running = 0;
}

#endif
