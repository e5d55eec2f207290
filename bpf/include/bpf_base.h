/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Our own minimal BPF program support, built only on the kernel's UAPI headers:
 * section and map-definition macros, helper declarations, and CO-RE read macros.
 * Nothing here comes from libbpf.
 *
 * With a bpftool-generated vmlinux.h (`bpftool btf dump file /sys/kernel/btf/vmlinux format c`) included
 * first, or BPF_BASE_NO_UAPI defined, the UAPI headers and the types vmlinux.h also declares (__u32, u32,
 * bool, enum bpf_func_id, ...) are left out, so the two combine.
 */
#ifndef BPF_BASE_H
#define BPF_BASE_H

#if defined(__VMLINUX_H__) && !defined(BPF_BASE_NO_UAPI)
#define BPF_BASE_NO_UAPI
#endif

#ifndef BPF_BASE_NO_UAPI
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
#endif /* BPF_BASE_NO_UAPI */
#ifndef NULL
#define NULL ((void *)0)
#endif

#define SEC(name) __attribute__((section(name), used))
/* Makes clang forget what it knows of var: no address computed from it is hoisted above this point
 * (above a NULL check, where the verifier refuses arithmetic on a pointer that may be NULL). */
#define barrier_var(var) asm volatile("" : "+r"(var))
/* Keeps clang from moving memory accesses across this point (the kernel's JIT moves none). */
#define barrier() asm volatile("" ::: "memory")
#undef __always_inline
#define __always_inline inline __attribute__((always_inline))

/* BTF-defined maps: struct { __uint(type, ...); __type(key, ...); ... } name SEC(".maps"); */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]

/* Externs the loader resolves: kernel symbols and kfuncs (`extern int bpf_prog_active __ksym;`) and
 * kernel configuration (`extern int LINUX_KERNEL_VERSION __kconfig;`). __weak makes one optional. */
#define __ksym __attribute__((section(".ksyms")))
#define __kconfig __attribute__((section(".kconfig")))
#ifndef __weak
#define __weak __attribute__((weak))
#endif

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
static long (*bpf_tail_call)(void *ctx, void *prog_array_map, __u32 index) = (void *)BPF_FUNC_tail_call;
static long (*bpf_probe_read_kernel_str)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)BPF_FUNC_probe_read_kernel_str;
static long (*bpf_probe_read_user)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)BPF_FUNC_probe_read_user;
static long (*bpf_probe_read_user_str)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)BPF_FUNC_probe_read_user_str;
static __u64 (*bpf_get_current_uid_gid)(void) = (void *)BPF_FUNC_get_current_uid_gid;
static __u64 (*bpf_get_current_task)(void) = (void *)BPF_FUNC_get_current_task;
static __u64 (*bpf_get_current_cgroup_id)(void) = (void *)BPF_FUNC_get_current_cgroup_id;
static long (*bpf_trace_printk)(const char *fmt, __u32 fmt_size, ...) = (void *)BPF_FUNC_trace_printk;

/* BPF_PROG(name, struct task_struct *p, ...): a tp_btf/fentry/raw_tp program whose arguments are typed,
 * unpacked from the u64 array the kernel passes (up to 12). The body sees `ctx` too. */
#define ___bb_cat(a, b) a##b
#define ___bb_apply(fn, n) ___bb_cat(fn, n)
#define ___bb_nth(_, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, N, ...) N
#define ___bb_narg(...) ___bb_nth(_, ##__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define ___bb_arg0() ctx
#define ___bb_arg1(x) ___bb_arg0(), (void *)ctx[0]
#define ___bb_arg2(x, args...) ___bb_arg1(args), (void *)ctx[1]
#define ___bb_arg3(x, args...) ___bb_arg2(args), (void *)ctx[2]
#define ___bb_arg4(x, args...) ___bb_arg3(args), (void *)ctx[3]
#define ___bb_arg5(x, args...) ___bb_arg4(args), (void *)ctx[4]
#define ___bb_arg6(x, args...) ___bb_arg5(args), (void *)ctx[5]
#define ___bb_arg7(x, args...) ___bb_arg6(args), (void *)ctx[6]
#define ___bb_arg8(x, args...) ___bb_arg7(args), (void *)ctx[7]
#define ___bb_arg9(x, args...) ___bb_arg8(args), (void *)ctx[8]
#define ___bb_arg10(x, args...) ___bb_arg9(args), (void *)ctx[9]
#define ___bb_arg11(x, args...) ___bb_arg10(args), (void *)ctx[10]
#define ___bb_arg12(x, args...) ___bb_arg11(args), (void *)ctx[11]
#define ___bb_args(args...) ___bb_apply(___bb_arg, ___bb_narg(args))(args)

#define BPF_PROG(name, args...)                                                                   \
	name(unsigned long long *ctx);                                                                \
	static __always_inline typeof(name(0)) ____##name(unsigned long long *ctx, ##args);           \
	typeof(name(0)) name(unsigned long long *ctx)                                                 \
	{                                                                                             \
		_Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wint-conversion\"")     \
		return ____##name(___bb_args(args));                                                      \
		_Pragma("GCC diagnostic pop")                                                             \
	}                                                                                             \
	static __always_inline typeof(name(0)) ____##name(unsigned long long *ctx, ##args)

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
/* Whether the running kernel's enum has this value: core_enum_value_exists(enum bpf_func_id, BPF_FUNC_x) is how a
 * program asks for a helper the kernel may lack (the branch that calls it is then pruned where it does). */
#define core_enum_value_exists(enum_type, value) \
	__builtin_preserve_enum_value(*(typeof(enum_type) *)value, CORE_ENUMVAL_EXISTS)

/* Reads src->a.b.c (relocated) into *dst through bpf_probe_read_kernel. */
#define core_read_into(dst, src) \
	bpf_probe_read_kernel((void *)(dst), sizeof(*(dst)), (const void *)__builtin_preserve_access_index(&(src)))

/* BPF_CORE_READ(task, real_parent, tgid): follows a chain of pointers (up to 6 fields), each step a
 * relocated bpf_probe_read_kernel, and yields the last field's value (0 where a read fails). */
#define ___bb_read1(s, a) ({ typeof((s)->a) __bb_v1; __builtin_memset(&__bb_v1, 0, sizeof(__bb_v1)); core_read_into(&__bb_v1, (s)->a); __bb_v1; })
#define ___bb_read2(s, a, b) ({ typeof((s)->a) __bb_p2 = ___bb_read1(s, a); ___bb_read1(__bb_p2, b); })
#define ___bb_read3(s, a, b, c) ({ typeof((s)->a) __bb_p3 = ___bb_read1(s, a); ___bb_read2(__bb_p3, b, c); })
#define ___bb_read4(s, a, b, c, d) ({ typeof((s)->a) __bb_p4 = ___bb_read1(s, a); ___bb_read3(__bb_p4, b, c, d); })
#define ___bb_read5(s, a, b, c, d, e) ({ typeof((s)->a) __bb_p5 = ___bb_read1(s, a); ___bb_read4(__bb_p5, b, c, d, e); })
#define ___bb_read6(s, a, b, c, d, e, f) ({ typeof((s)->a) __bb_p6 = ___bb_read1(s, a); ___bb_read5(__bb_p6, b, c, d, e, f); })
#define BPF_CORE_READ(src, fields...) ___bb_apply(___bb_read, ___bb_narg(fields))(src, fields)

/* libbpf's spellings of the CO-RE checks, for sources written against libbpf. */
#define bpf_core_field_exists(field) core_field_exists(field)
#define bpf_core_field_size(field) core_field_size(field)
#define bpf_core_field_offset(field) core_field_offset(field)
#define bpf_core_type_exists(type) core_type_exists(type)
#define bpf_core_type_size(type) core_type_size(type)

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
