/*
 * Binds the native-AOT executable to old glibc symbol versions, so that it starts on glibc 2.28
 * (x86-64) and 2.17 (aarch64) although it is linked against a newer glibc.
 *
 * A linker binds each undefined function to the default (newest) version its libc.so exports, and
 * glibc keeps every older version exported beside the new one. The link passes --wrap=NAME for
 * each function listed in GlibcFloor.targets, which sends the runtime's calls to __wrap_NAME here;
 * __wrap_NAME jumps to NAME@<old version>. glibc_floor_symbols.inc is written from that list.
 */
#include <stddef.h>

#if defined(__x86_64__)
#  define GLIBC_FLOOR_VERSION(x64) x64
#  define GLIBC_FLOOR_JUMP(target) "jmp " target "@PLT\n"
#elif defined(__aarch64__)
/* aarch64 starts at GLIBC_2.17: every function has that version. */
#  define GLIBC_FLOOR_VERSION(x64) "GLIBC_2.17"
#  define GLIBC_FLOOR_JUMP(target) "b " target "\n"
#else
#  error "glibc floor: unsupported architecture"
#endif

/* A trampoline: any signature, arguments left in their registers. */
#define GLIBC_FLOOR_COMPAT(name, x64) __asm__( \
    ".symver glibc_floor_old_" #name ", " #name "@" GLIBC_FLOOR_VERSION(x64) "\n" \
    ".text\n" \
    ".globl __wrap_" #name "\n" \
    ".hidden __wrap_" #name "\n" \
    ".type __wrap_" #name ", %function\n" \
    "__wrap_" #name ":\n" \
    GLIBC_FLOOR_JUMP("glibc_floor_old_" #name) \
    ".size __wrap_" #name ", . - __wrap_" #name "\n");

#include "glibc_floor_symbols.inc"

/*
 * __libc_start_main: glibc 2.34's crt1.o passes init = NULL and leaves the executable's constructors
 * to the new __libc_start_main (its call_init). The old version (before 2.34) runs only what init
 * points to: crt1.o used to pass __libc_csu_init. So pass our own copy of __libc_csu_init as it was
 * for dynamic executables: _init, then .init_array (.preinit_array is the dynamic loader's job).
 * glibc 2.34 and later still honour a non-NULL init ("legacy program") and then skip call_init, so
 * the constructors run exactly once on both. fini stays NULL: the dynamic loader's _dl_fini runs the
 * executable's destructors on every version (old __libc_csu_fini was empty in dynamic executables).
 */
typedef int (*glibc_floor_main)(int, char **, char **);
typedef void (*glibc_floor_ctor)(int, char **, char **);

extern int glibc_floor_old___libc_start_main(glibc_floor_main main, int argc, char **argv,
    glibc_floor_ctor init, void (*fini)(void), void (*rtld_fini)(void), void *stack_end);
__asm__(".symver glibc_floor_old___libc_start_main, __libc_start_main@" GLIBC_FLOOR_VERSION("GLIBC_2.2.5"));

extern glibc_floor_ctor __init_array_start[] __attribute__((visibility("hidden")));
extern glibc_floor_ctor __init_array_end[] __attribute__((visibility("hidden")));
extern void _init(void) __attribute__((weak, visibility("hidden")));

static void glibc_floor_run_constructors(int argc, char **argv, char **envp)
{
    if (_init != NULL)
        _init();
    size_t count = (size_t)(__init_array_end - __init_array_start);
    for (size_t i = 0; i < count; i++)
        __init_array_start[i](argc, argv, envp);
}

__attribute__((visibility("hidden")))
int __wrap___libc_start_main(glibc_floor_main main, int argc, char **argv,
    glibc_floor_ctor init, void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    (void)init;   /* NULL from glibc 2.34's crt1.o */
    (void)fini;
    return glibc_floor_old___libc_start_main(main, argc, argv, glibc_floor_run_constructors, NULL,
        rtld_fini, stack_end);
}
