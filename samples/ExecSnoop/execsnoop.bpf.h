/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef EXECSNOOP_BPF_H
#define EXECSNOOP_BPF_H

/* One exec, as the ring buffer carries it (Program.cs reads the same layout). */
struct exec_event {
	unsigned int pid;
	unsigned int ppid;
	char comm[16];
	char filename[128];
};

#endif
