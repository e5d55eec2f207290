/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Our own minimal BPF program support, built only on the kernel's UAPI headers:
 * section and map-definition macros, helper declarations, and CO-RE read macros.
 * Nothing here comes from libbpf.
 */
#ifndef BPF_BASE_H
#define BPF_BASE_H

#include <linux/types.h>
#include <linux/bpf.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef _Bool bool;
#define true 1
#define false 0
#ifndef NULL
#define NULL ((void *)0)
#endif

#define SEC(name) __attribute__((section(name), used))
/* Makes clang forget what it knows of var: no address computed from it is hoisted above this point
 * (above a NULL check, where the verifier refuses arithmetic on a pointer that may be NULL). */
#define barrier_var(var) asm volatile("" : "+r"(var))
#undef __always_inline
#define __always_inline inline __attribute__((always_inline))

/* BTF-defined maps: struct { __uint(type, ...); __type(key, ...); ... } name SEC(".maps"); */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]

/* Helpers are called by number: the loader never patches these. */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)BPF_FUNC_map_update_elem;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_delete_elem;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)BPF_FUNC_ktime_get_ns;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)BPF_FUNC_get_current_pid_tgid;
static long (*bpf_get_current_comm)(void *buf, __u32 size) = (void *)BPF_FUNC_get_current_comm;
static __u32 (*bpf_get_smp_processor_id)(void) = (void *)BPF_FUNC_get_smp_processor_id;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *src) = (void *)BPF_FUNC_probe_read_kernel;
static long (*bpf_perf_event_output)(void *ctx, void *map, __u64 flags, void *data, __u64 size) = (void *)BPF_FUNC_perf_event_output;
static long (*bpf_ringbuf_output)(void *ringbuf, void *data, __u64 size, __u64 flags) = (void *)BPF_FUNC_ringbuf_output;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) = (void *)BPF_FUNC_ringbuf_reserve;
static void (*bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)BPF_FUNC_ringbuf_submit;
static void (*bpf_ringbuf_discard)(void *data, __u64 flags) = (void *)BPF_FUNC_ringbuf_discard;
static __u64 (*bpf_ringbuf_query)(void *ringbuf, __u64 flags) = (void *)BPF_FUNC_ringbuf_query;

/* CO-RE: clang records these accesses as relocations that the loader resolves against kernel BTF. */
enum core_field_info {
	CORE_FIELD_BYTE_OFFSET = 0,
	CORE_FIELD_BYTE_SIZE = 1,
	CORE_FIELD_EXISTS = 2,
	CORE_FIELD_SIGNED = 3,
	CORE_FIELD_LSHIFT_U64 = 4,
	CORE_FIELD_RSHIFT_U64 = 5,
};
enum core_type_info {
	CORE_TYPE_EXISTS = 0,
	CORE_TYPE_SIZE = 1,
};
enum core_enum_value_info {
	CORE_ENUMVAL_EXISTS = 0,
	CORE_ENUMVAL_VALUE = 1,
};

#define core_field_exists(field) __builtin_preserve_field_info(field, CORE_FIELD_EXISTS)
#define core_field_size(field) __builtin_preserve_field_info(field, CORE_FIELD_BYTE_SIZE)
#define core_field_offset(field) __builtin_preserve_field_info(field, CORE_FIELD_BYTE_OFFSET)
#define core_type_exists(type) __builtin_preserve_type_info(*(typeof(type) *)0, CORE_TYPE_EXISTS)
#define core_type_size(type) __builtin_preserve_type_info(*(typeof(type) *)0, CORE_TYPE_SIZE)

/* Reads src->a.b.c (relocated) into *dst through bpf_probe_read_kernel. */
#define core_read_into(dst, src) \
	bpf_probe_read_kernel((void *)(dst), sizeof(*(dst)), (const void *)__builtin_preserve_access_index(&(src)))

/* Reads a field of any width, bitfields included, as libbpf's BPF_CORE_READ_BITFIELD_PROBED does. */
#define core_read_bitfield(s, field)                                                          \
	({                                                                                        \
		unsigned long long __v = 0;                                                           \
		unsigned int __off = __builtin_preserve_field_info((s)->field, CORE_FIELD_BYTE_OFFSET); \
		unsigned int __sz = __builtin_preserve_field_info((s)->field, CORE_FIELD_BYTE_SIZE);   \
		bpf_probe_read_kernel(&__v, __sz, (const char *)(s) + __off);                        \
		__v <<= __builtin_preserve_field_info((s)->field, CORE_FIELD_LSHIFT_U64);             \
		if (__builtin_preserve_field_info((s)->field, CORE_FIELD_SIGNED))                     \
			__v = ((long long)__v) >> __builtin_preserve_field_info((s)->field, CORE_FIELD_RSHIFT_U64); \
		else                                                                                  \
			__v = __v >> __builtin_preserve_field_info((s)->field, CORE_FIELD_RSHIFT_U64);    \
		__v;                                                                                  \
	})

#endif /* BPF_BASE_H */
