/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one cleanup vocabulary, shared by lib/, tools/ and the C tests (systemd's
 * macro-fundamental.h is the model). Private: never installed. */
#ifndef NFSROOT_MACRO_H
#define NFSROOT_MACRO_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void *take_ptr_(void *pp)
{
    void **p = pp;
    void *v = *p;
    *p = NULL;
    return v;
}
/* Hand a _cleanup_ pointer to someone else: the variable becomes NULL. */
#define TAKE_PTR(p) ((__typeof__(p))take_ptr_(&(p)))

static inline int take_fd_(int *fd)
{
    int v = *fd;
    *fd = -1;
    return v;
}
#define TAKE_FD(fd) take_fd_(&(fd))

/* DEFINE_TRIVIAL_CLEANUP_FUNC(nfsroot_plan *, nfsroot_plan_free) defines
 * nfsroot_plan_freep(nfsroot_plan **), for _cleanup_(nfsroot_plan_freep). func must accept
 * what the variable holds; NULL is never passed to it. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
    static inline void func##p(type *p)                                                            \
    {                                                                                              \
        if (*p)                                                                                    \
            func(*p);                                                                              \
    }

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

static inline void freep(void *p)
{
    free(*(void **)p);
}
static inline void closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}
static inline void fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

#endif
