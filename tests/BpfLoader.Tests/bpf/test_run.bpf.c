// SPDX-License-Identifier: GPL-2.0
/* Packet programs for BPF_PROG_TEST_RUN on crafted packets. */
#include "bpf_base.h"

/* An IPv4 UDP packet: its first byte (destination MAC) set to 0xff, and sent back (XDP_TX); anything else passes. */
SEC("xdp")
int mark_udp(struct xdp_md *ctx)
{
	unsigned char *data = (unsigned char *)(long)ctx->data;
	unsigned char *end = (unsigned char *)(long)ctx->data_end;

	if (data + 34 > end)
		return XDP_ABORTED;
	if (data[12] != 0x08 || data[13] != 0x00 || data[23] != 17)
		return XDP_PASS;
	data[0] = 0xff;
	return XDP_TX;
}

/* Keeps the packet whole when it is longer than 60 bytes (from its network header on), else drops it (returns 0). */
SEC("socket")
int long_packets(struct __sk_buff *skb)
{
	return skb->len > 60 ? skb->len : 0;
}

char LICENSE[] SEC("license") = "GPL";
