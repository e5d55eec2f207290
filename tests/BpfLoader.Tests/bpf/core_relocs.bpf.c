// SPDX-License-Identifier: GPL-2.0
/*
 * Loader CO-RE test: every relocation kind clang emits, against the running kernel's BTF.
 * Results go to .bss so each relocated value lands in one instruction the test can find.
 */
#include "bpf_base.h"

/* Fields that exist in the kernel, some inside anonymous unions/structs there. */
struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	unsigned short skc_family;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol;
	__u8 sk_kern_sock : 1, sk_no_check_tx : 1;
} __attribute__((preserve_access_index));

/* A flavour of struct sock: resolves to the kernel's sock, with a field the kernel lacks. */
struct sock___mine {
	struct sock_common __sk_common;
	__u32 sk_does_not_exist;
} __attribute__((preserve_access_index));

/* A type no kernel has. */
struct not_a_kernel_type___mine {
	int whatever;
} __attribute__((preserve_access_index));

enum bpf_map_type___mine {
	BPF_MAP_TYPE_RINGBUF___mine = 99,
	BPF_MAP_TYPE_NO_SUCH_MAP___mine = 1000,
};

__u64 results[32];

#define FIELD_INFO(expr, kind) __builtin_preserve_field_info(expr, kind)

SEC("tp_btf/inet_sock_set_state")
int core_all(__u64 *ctx)
{
	struct sock *sk = (struct sock *)ctx[0];
	struct sock___mine *mine = (struct sock___mine *)ctx[0];

	results[0] = FIELD_INFO(sk->__sk_common.skc_daddr, CORE_FIELD_BYTE_OFFSET);
	results[1] = FIELD_INFO(sk->__sk_common.skc_family, CORE_FIELD_BYTE_SIZE);
	results[2] = FIELD_INFO(sk->sk_protocol, CORE_FIELD_EXISTS);
	results[3] = FIELD_INFO(sk->sk_protocol, CORE_FIELD_SIGNED);
	results[4] = FIELD_INFO(sk->sk_kern_sock, CORE_FIELD_LSHIFT_U64);
	results[5] = FIELD_INFO(sk->sk_kern_sock, CORE_FIELD_RSHIFT_U64);
	results[6] = FIELD_INFO(sk->sk_no_check_tx, CORE_FIELD_BYTE_OFFSET);
	results[7] = FIELD_INFO(sk->sk_no_check_tx, CORE_FIELD_BYTE_SIZE);
	results[8] = FIELD_INFO(sk->sk_no_check_tx, CORE_FIELD_LSHIFT_U64);
	results[9] = __builtin_btf_type_id(*sk, 0);                      /* TYPE_ID_LOCAL */
	results[10] = __builtin_btf_type_id(*sk, 1);                     /* TYPE_ID_TARGET */
	results[11] = __builtin_preserve_type_info(*sk, CORE_TYPE_EXISTS);
	results[12] = __builtin_preserve_type_info(*sk, CORE_TYPE_SIZE);
	results[13] = __builtin_preserve_enum_value(*(enum bpf_map_type___mine *)BPF_MAP_TYPE_RINGBUF___mine, CORE_ENUMVAL_EXISTS);
	results[14] = __builtin_preserve_enum_value(*(enum bpf_map_type___mine *)BPF_MAP_TYPE_RINGBUF___mine, CORE_ENUMVAL_VALUE);
	results[15] = __builtin_preserve_enum_value(*(enum bpf_map_type___mine *)BPF_MAP_TYPE_NO_SUCH_MAP___mine, CORE_ENUMVAL_EXISTS);
	/* The flavour: the type resolves, its extra field does not. */
	results[16] = FIELD_INFO(mine->sk_does_not_exist, CORE_FIELD_EXISTS);
	results[17] = FIELD_INFO(mine->__sk_common.skc_rcv_saddr, CORE_FIELD_BYTE_OFFSET);
	results[18] = __builtin_preserve_type_info(*(struct not_a_kernel_type___mine *)0, CORE_TYPE_EXISTS);
	results[19] = FIELD_INFO(((struct not_a_kernel_type___mine *)0)->whatever, CORE_FIELD_EXISTS);
	/* An unguarded read of the missing field: poisoned, rejected by the verifier only if reached. */
	results[20] = FIELD_INFO(mine->sk_does_not_exist, CORE_FIELD_BYTE_OFFSET);
	/* A load through a relocated offset (LDX patch). */
	results[21] = sk->__sk_common.skc_family;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
