/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fault injection for the fault tests (tests/fault/): named points in apply/remove where a test
 * build can make the process SIGKILL itself, to prove an interrupted hook never corrupts the
 * host's exports and that the next run repairs it. Compiled only with ENABLE_TESTING_HOOKS
 * (NFSROOT_TESTING_HOOKS=1); in every other build NFSROOT_FAULT_POINT() is nothing.
 *
 *   NFSROOT_FAULT_KILL_AT=<point>[:<n>]  SIGKILL at the n-th (default 1st) time <point> is reached
 *                                        in this process
 *   NFSROOT_FAULT_TRACE=<file>           append the name of every point reached (for the tests to
 *                                        learn which points a scenario passes) */
#ifndef NFSROOT_FAULT_H
#define NFSROOT_FAULT_H

#if defined(NFSROOT_TESTING_HOOKS) && NFSROOT_TESTING_HOOKS
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void nfsroot_fault_point(const char *name, unsigned *hits)
{
    const char *trace = getenv("NFSROOT_FAULT_TRACE");
    if (trace) {
        int fd = open(trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dprintf(fd, "%s\n", name);
            close(fd);
        }
    }
    const char *at = getenv("NFSROOT_FAULT_KILL_AT");
    if (!at)
        return;
    size_t n = strcspn(at, ":");
    if (strlen(name) != n || strncmp(at, name, n) != 0)
        return;
    unsigned want = at[n] == ':' ? (unsigned)strtoul(at + n + 1, NULL, 10) : 1;
    if (++*hits == want)
        raise(SIGKILL);
}
#define NFSROOT_FAULT_POINT(name)                                                                  \
    do {                                                                                           \
        static unsigned nfsroot_fault_hits_;                                                       \
        nfsroot_fault_point(name, &nfsroot_fault_hits_);                                           \
    } while (0)
#else
#define NFSROOT_FAULT_POINT(name)                                                                  \
    do {                                                                                           \
    } while (0)
#endif

#endif
