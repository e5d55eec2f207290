// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The limit: an empty tp_btf program on the tracepoint tcpstates uses. What it costs (the kernel's
 * call into BPF and back) is the least any tracer of this tracepoint can cost, so the harness
 * measures it in the same rounds as the others (TcpStates.Bench limit, loaded by our BpfLoader). */
#define SEC(name) __attribute__((section(name), used))

SEC("tp_btf/inet_sock_set_state")
int limit_empty(unsigned long long *ctx)
{
	(void)ctx;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
