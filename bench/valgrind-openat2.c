/* LD_PRELOAD shim for instruction counting only: Debian 12's valgrind (3.19) does not know the
 * openat2 system call (437) and fails it with ENOSYS, so the annotated hook cannot run under
 * callgrind. This shim answers syscall(SYS_openat2, ...) with openat(2) using the same flags and,
 * for RESOLVE_NO_SYMLINKS, O_NOFOLLOW on the last component. It is NOT a safe replacement (no
 * RESOLVE_BENEATH check): bench/run loads it only under valgrind, on its own fixture paths, to
 * count the instructions of the real code path around it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

long syscall(long number, ...)
{
    va_list ap;
    long a[6];
    va_start(ap, number);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_openat2) {
        const struct open_how *how = (const struct open_how *)a[2];
        int flags = (int)how->flags;
        if (how->resolve & RESOLVE_NO_SYMLINKS)
            flags |= O_NOFOLLOW;
        return openat((int)a[0], (const char *)a[1], flags, (mode_t)how->mode);
    }
    static long (*real)(long, ...);
    if (!real)
        real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
    return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
