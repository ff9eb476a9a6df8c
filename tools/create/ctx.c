/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot create: the floor every stage stands on. Ctrl-C and the clock, the stage markers
 * --reuse resumes from (root-side, beside the staging tree; never in a tree) and the hash the
 * tree cache and the initramfs store name their entries with. Calls nothing of create's. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

void create_catch_signals(void)
{
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

bool create_interrupted(void)
{
    return interrupted != 0;
}

double create_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- stage markers (resume) --------------------------------------------------------------- */

/* The markers live only in the locked .stages file beside the staging tree: none for a reused
 * tree or --cache-only, and a file a tree holds is never read. */
bool create_marker_has(const create_ctx *c, const char *what)
{
    char text[4097];
    ssize_t n = c->stages_fd < 0 ? -1 : pread(c->stages_fd, text, sizeof(text) - 1, 0);
    if (n <= 0)
        return false;
    text[n] = '\0';
    for (char *l = text; *l;) {
        size_t k = strcspn(l, "\n");
        if (k == strlen(what) && !strncmp(l, what, k))
            return true;
        l += k + (l[k] == '\n');
    }
    return false;
}

int create_marker_add(const create_ctx *c, const char *what)
{
    if (c->stages_fd < 0)
        return 0;
    off_t end = lseek(c->stages_fd, 0, SEEK_END);
    if (end < 0 || dprintf(c->stages_fd, "%s\n", what) < 0 || fsync(c->stages_fd) < 0)
        return -errno;
    return 0;
}

uint64_t create_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
