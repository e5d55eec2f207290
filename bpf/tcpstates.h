/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The event layouts shared by the kernel program and the C# reader (TcpStateEvent, Ipv4TcpStateEvent). */
#ifndef TCPSTATES_H
#define TCPSTATES_H

#define TASK_COMM_LEN 16
/* delta_us of a record read from the ring buffer: the reader, which gets each socket's records in order,
 * works out the time in state from ts_ns (see sk_states in tcpstates.bpf.c). */
#define DELTA_BY_READER (~0ULL)

struct event {
	__u64 skaddr;     /* socket address, printed as SKADDR */
	__u64 ts_ns;      /* bpf_ktime_get_ns() at the change */
	__u64 delta_us;   /* time in the old state; 0 for the first change we saw; DELTA_BY_READER: the reader works it out */
	__u8 saddr[16];   /* IPv4 in the first 4 bytes, or IPv6, network order */
	__u8 daddr[16];
	char task[TASK_COMM_LEN];
	__u32 pid;        /* tgid of the task on CPU */
	__s32 oldstate;
	__s32 newstate;
	__u16 family;     /* AF_INET or AF_INET6 */
	__u16 sport;      /* host order */
	__u16 dport;      /* host order */
	__u16 __pad;      /* explicit, so that every byte of a record is written (104 in all) */
	__u32 netns;      /* the socket's network namespace: its inode, as ls -l /proc/PID/ns/net shows */
	__u64 cgroup_id;  /* the socket's cgroup v2 id (the inode of its directory on the cgroup2 mount) */
};

/* The same change of an IPv4 socket, through the ring buffer, when neither its netns nor its cgroup is wanted
 * (the plain columns): one cache line with the ring's 8-byte header, where struct event takes two. The time in
 * state is the reader's (DELTA_BY_READER), the family AF_INET. The reader tells the two apart by their size. */
struct event_ipv4 {
	__u64 skaddr;
	__u64 ts_ns;
	char task[TASK_COMM_LEN];
	__u32 pid;
	__u8 saddr[4];    /* network order */
	__u8 daddr[4];
	__u16 sport;      /* host order */
	__u16 dport;      /* host order */
	__u8 oldstate;
	__u8 newstate;
	__u16 __pad;      /* explicit, so that every byte of a record is written (56 in all) */
	__u32 __pad2;
};

#endif /* TCPSTATES_H */
