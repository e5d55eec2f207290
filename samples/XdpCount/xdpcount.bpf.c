// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Packets and bytes arriving on an interface, counted per CPU at its XDP hook; every packet passes. */
#include <bpf_base.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct totals {
	u64 packets;
	u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct totals);
} counts SEC(".maps");

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
	u32 zero = 0;
	struct totals *t = bpf_map_lookup_elem(&counts, &zero);
	if (t) {
		/* Per CPU: no other CPU writes this entry, so no atomic add is needed. */
		t->packets++;
		t->bytes += ctx->data_end - ctx->data;
	}
	return XDP_PASS;
}
