/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot create: running programs (each in a private mount namespace; inside a tree with
 * private /proc /sys /dev) and copying trees (removing one: shared/layout.c). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctx.h"

/* ---- running programs ------------------------------------------------------------------- */

/* The child: a private mount namespace (nothing it mounts reaches the host, even when killed),
 * then optionally the chroot with /proc /sys /dev bound inside it. Never returns. */
static _Noreturn void child_exec(const char *root, bool private_ns, char *const argv[], int log_fd)
{
    static char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C.UTF-8",
                                 "DEBIAN_FRONTEND=noninteractive", "HOME=/root", NULL };
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
        _exit(127);
    if (private_ns &&
        (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)) {
        dprintf(2, "virt-nfsroot: cannot make a private mount namespace: %m\n");
        _exit(126);
    }
    if (root) {
        static const char *const binds[][2] = { { "/proc", "proc" },
                                                { "/sys", "sys" },
                                                { "/dev", "dev" } };
        int rfd = open(root, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (rfd < 0 || fchdir(rfd) < 0)
            _exit(126);
        for (size_t i = 0; i < ELEMENTSOF(binds); i++) {
            struct stat st;
            /* A symlink there would carry the mount out of the tree. */
            if (fstatat(rfd, binds[i][1], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
                mount(binds[i][0], binds[i][1], NULL, MS_BIND | MS_REC, NULL) < 0) {
                dprintf(2, "virt-nfsroot: cannot bind %s into the tree: %m\n", binds[i][0]);
                _exit(126);
            }
        }
        if (chroot(".") < 0 || chdir("/") < 0)
            _exit(126);
    }
    execve(argv[0], argv, env);
    dprintf(2, "virt-nfsroot: cannot run %s: %m\n", argv[0]);
    _exit(127);
}

static int spawn(create_ctx *c, const char *root, bool private_ns, char *const argv[]);

/* A bar for a copy of known size, on a terminal: what the target's file system lost in free
 * space since the copy began (other writers blur it; it is only a bar). */
static void bar(create_ctx *c, bool last)
{
    struct statvfs v;
    if (cli.json || !isatty(2) || statvfs(c->target, &v) < 0)
        return;
    uint64_t free_now = (uint64_t)v.f_bfree * v.f_frsize;
    uint64_t done = c->bar_free > free_now ? c->bar_free - free_now : 0;
    if (last || done > c->bar_total)
        done = c->bar_total;
    int pct = (int)(done * 100 / c->bar_total), fill = pct * 30 / 100;
    fprintf(stderr, "\r      copy [%.*s%*s] %3d%% of %llu MB%s", fill,
            "##############################", 30 - fill, "", pct,
            (unsigned long long)(c->bar_total >> 20), last ? "\r\033[K" : "");
}

int create_spawn(create_ctx *c, const char *root, char *const argv[])
{
    return spawn(c, root, true, argv);
}

static int spawn(create_ctx *c, const char *root, bool private_ns, char *const argv[])
{
    if (create_interrupted())
        return -EINTR;
    if (c->log_fd >= 0) {
        dprintf(c->log_fd, "\n$%s", root ? " chroot ." : "");
        for (char *const *a = argv; *a; a++)
            dprintf(c->log_fd, " %s", *a);
        dprintf(c->log_fd, "\n");
    }
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0)
        child_exec(root, private_ns || root, argv, c->log_fd >= 0 ? c->log_fd : 2);
    int status;
    bool killed = false;
    for (;;) {
        pid_t w = waitpid(pid, &status, c->bar_total ? WNOHANG : 0);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return -errno;
        if (create_interrupted() && !killed) {
            kill(pid, SIGTERM);
            killed = true;
        }
        if (w == 0) {
            bar(c, false);
            (void)usleep(250000);
        }
    }
    if (c->bar_total)
        bar(c, true);
    if (create_interrupted())
        return -EINTR;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    cli_error("%s %s (see '%s')", argv[0], WIFEXITED(status) ? "failed" : "was killed",
              c->log_path ? c->log_path : "stderr");
    return -ECHILD;
}

int create_copy_tree(create_ctx *c, const char *from, const char *to, const char **ret_how)
{
    _cleanup_free_ char *src = NULL;
    const char *how;
    int r = create_copy_check(from, to, &how);
    if (r < 0)
        return r;
    if (ret_how)
        *ret_how = how;
    if (asprintf(&src, "%s/.", from) < 0)
        return -ENOMEM;
    char *argv[] = { "/bin/cp", "-a", "--reflink=auto", "--", src, (char *)to, NULL };
    r = spawn(c, NULL, false, argv); /* mounts nothing: no namespace needed */
    if (r == -ECHILD)
        (void)create_copy_explain_acls(to);
    return r;
}
