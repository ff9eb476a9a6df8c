/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Room: base. The one opener beneath a root: openat2(2) with RESOLVE_BENEATH or RESOLVE_IN_ROOT,
 * and, where openat2 is missing or filtered (old kernels, valgrind, seccomp), one component walk
 * that gives the same answers: O_NOFOLLOW on every component, symbolic links expanded here. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "base.h"

#define MAX_SYMLINKS 40
#define MAX_DEPTH 128

/* A walk in progress: the directories from where it started (stack[0]) down to where it is, and
 * the rest of the path, consumed from the front, with symlink targets spliced in. */
typedef struct walk {
    int stack[MAX_DEPTH];
    size_t depth;
    char *rest; /* owned */
    char *p;    /* into rest: what is left */
    unsigned links;
    unsigned mode; /* NFSROOT_BENEATH_* */
} walk;

/* The next component of what is left into comp ("" at the end); *last: nothing follows it, not
 * even a '/' (a trailing '/' asks for a directory, which walk_descend checks). */
static int walk_next(walk *w, char comp[static NAME_MAX + 1], bool *last)
{
    while (*w->p == '/')
        w->p++;
    size_t n = strcspn(w->p, "/");
    if (n > NAME_MAX)
        return -ENAMETOOLONG;
    memcpy(comp, w->p, n);
    comp[n] = '\0';
    w->p += n;
    *last = *w->p == '\0';
    return 0;
}

/* Back to the start: what an absolute link means inside the root. */
static void walk_to_start(walk *w)
{
    while (w->depth > 0)
        close(w->stack[w->depth--]);
}

/* "..": up one directory; at the start it stays there inside the root, and is an escape
 * beneath it. */
static int walk_up(walk *w)
{
    if (w->depth == 0)
        return (w->mode & NFSROOT_BENEATH_IN_ROOT) ? 0 : -EXDEV;
    close(w->stack[w->depth--]);
    return 0;
}

/* fd is a symbolic link: refused with NO_SYMLINKS and after MAX_SYMLINKS; an absolute one
 * starts again at the root (IN_ROOT) or is an escape; its target goes in front of what is
 * left. */
static int walk_splice(walk *w, int fd)
{
    char target[PATH_MAX];
    if ((w->mode & NFSROOT_BENEATH_NO_SYMLINKS) || ++w->links > MAX_SYMLINKS)
        return -ELOOP;
    ssize_t tl = readlinkat(fd, "", target, sizeof(target) - 1);
    if (tl <= 0)
        return tl < 0 ? -errno : -ENOENT;
    target[tl] = '\0';
    if (target[0] == '/') {
        if (!(w->mode & NFSROOT_BENEATH_IN_ROOT))
            return -EXDEV;
        walk_to_start(w);
    }
    char *spliced = NULL;
    if (asprintf(&spliced, "%s%s%s", target, *w->p ? "/" : "", w->p) < 0)
        return -ENOMEM;
    free(w->rest);
    w->rest = w->p = spliced;
    return 0;
}

/* One component, never followed: a directory is descended into, a symbolic link spliced. */
static int walk_descend(walk *w, const char *comp)
{
    _cleanup_close_ int fd = openat(w->stack[w->depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return -errno;
    if (S_ISLNK(st.st_mode))
        return walk_splice(w, fd);
    if (!S_ISDIR(st.st_mode))
        return -ENOTDIR;
    if (w->depth + 1 >= MAX_DEPTH)
        return -ENAMETOOLONG;
    w->stack[++w->depth] = TAKE_FD(fd);
    return 0;
}

/* The last component, opened with the caller's flags: a symbolic link there is spliced unless
 * flags hold O_NOFOLLOW; the open itself never follows one (a link swapped in since is ELOOP,
 * or the link itself with O_PATH, as openat2 gives). 1 with *ret_fd set, 0 when spliced. */
static int walk_last(walk *w, const char *comp, int flags, int *ret_fd)
{
    int dir = w->stack[w->depth];
    _cleanup_close_ int fd = openat(dir, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return -errno;
    if (S_ISLNK(st.st_mode) && !(flags & O_NOFOLLOW))
        return walk_splice(w, fd);
    int r = openat(dir, comp, flags | O_NOFOLLOW | O_CLOEXEC);
    if (r < 0)
        return -errno;
    *ret_fd = r;
    return 1;
}

static int walk_step(walk *w, const char *comp, bool last, int flags, int *ret_fd)
{
    if (!strcmp(comp, ".."))
        return walk_up(w);
    if (!strcmp(comp, "."))
        return 0;
    return last ? walk_last(w, comp, flags, ret_fd) : walk_descend(w, comp);
}

/* What openat2() does, for kernels or sandboxes without it. */
static int walk_open(int dirfd, const char *rel, int flags, unsigned mode)
{
    walk w = { .mode = mode };
    w.stack[0] = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
    if (w.stack[0] < 0)
        return -errno;
    w.rest = w.p = strdup(rel);
    int r = w.rest ? 0 : -ENOMEM, fd = -1;
    char comp[NAME_MAX + 1];
    bool last = false;
    while (r == 0 && (r = walk_next(&w, comp, &last)) == 0 && comp[0])
        r = walk_step(&w, comp, last, flags, &fd);
    if (r == 0) { /* ended on a directory: ".", "..", "" or a trailing '/' */
        fd = openat(w.stack[w.depth], ".", flags | O_CLOEXEC);
        r = fd < 0 ? -errno : 1;
    }
    for (size_t i = 0; i <= w.depth; i++)
        close(w.stack[i]);
    free(w.rest);
    return r < 0 ? r : fd;
}

/* ENABLE_TESTING_HOOKS: NFSROOT_TEST_NO_OPENAT2 sends every open through the walk, so the tests
 * check the fallback's answers against openat2's. */
static bool walk_forced(void)
{
#if defined(NFSROOT_TESTING_HOOKS) && NFSROOT_TESTING_HOOKS
    return getenv("NFSROOT_TEST_NO_OPENAT2") != NULL;
#else
    return false;
#endif
}

/* openat2(2), retried while the kernel reports a concurrent rename or mount (EAGAIN, which
 * RESOLVE_BENEATH and RESOLVE_IN_ROOT may give for ".."): the fd or -errno (-ENOSYS/-EPERM
 * where the syscall is missing or filtered, so the walk answers). */
static int nfsroot_openat2(int dirfd, const char *path, const struct open_how *how)
{
    for (unsigned tries = 0;; tries++) {
        long fd = syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
        if (fd >= 0)
            return (int)fd;
        if ((errno != EAGAIN && errno != EINTR) || tries >= 32)
            return -errno;
    }
}

int nfsroot_open_beneath(int dirfd, const char *rel, int flags, unsigned mode)
{
    if (mode & NFSROOT_BENEATH_IN_ROOT)
        rel += strspn(rel, "/");
    else if (rel[0] == '/')
        return -EXDEV;
    if (!*rel)
        rel = ".";
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_NO_MAGICLINKS |
                   ((mode & NFSROOT_BENEATH_IN_ROOT) ? RESOLVE_IN_ROOT : RESOLVE_BENEATH) |
                   ((mode & NFSROOT_BENEATH_NO_SYMLINKS) ? RESOLVE_NO_SYMLINKS : 0),
    };
    if (!walk_forced()) {
        /* nfsroot_openat2() retries EAGAIN (a rename or mount racing a ".."); when it keeps
         * happening, or openat2 is missing, the walk answers. */
        int fd = nfsroot_openat2(dirfd, rel, &how);
        if (fd != -ENOSYS && fd != -EPERM && fd != -EAGAIN)
            return fd;
    }
    return walk_open(dirfd, rel, flags, mode);
}

/* A device node a guest made is never opened on the host (opening some, a watchdog for one, has
 * effects): only a regular file is reopened, through /proc/self/fd. */
int reopen_regular(int *fd)
{
    struct stat st;
    if (fstat(*fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return 0;
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", *fd);
    int rfd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (rfd < 0)
        return -errno;
    close(*fd);
    *fd = rfd;
    return 0;
}

int nfsroot_open_beneath_reg(int dirfd, const char *rel, unsigned mode)
{
    _cleanup_close_ int fd = nfsroot_open_beneath(dirfd, rel, O_PATH, mode);
    if (fd < 0)
        return fd;
    int r = reopen_regular(&fd);
    return r < 0 ? r : TAKE_FD(fd);
}

int nfsroot_read_beneath(int dirfd, const char *rel, unsigned mode, size_t max, char **ret,
                         size_t *ret_len)
{
    _cleanup_close_ int fd = nfsroot_open_beneath_reg(dirfd, rel, mode);
    if (fd < 0)
        return fd;
    return read_regular_fd(fd, max, ret, ret_len);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int nfsroot_list_beneath(int dirfd, const char *dir, unsigned mode, const char *suffix, size_t max,
                         char ***ret)
{
    _cleanup_strv_free_ char **names = calloc(max + 1, sizeof(char *));
    if (!names)
        return -ENOMEM;
    int fd = nfsroot_open_beneath(dirfd, dir, O_RDONLY | O_DIRECTORY, mode);
    _cleanup_(closedirp) DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int r = fd < 0 ? fd : -errno;
        if (fd >= 0)
            close(fd);
        return r;
    }
    size_t n = 0, sl = strlen(suffix);
    for (struct dirent *e; n < max && (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l <= sl || strcmp(e->d_name + l - sl, suffix) != 0)
            continue;
        if (!(names[n++] = strdup(e->d_name)))
            return -ENOMEM;
    }
    qsort(names, n, sizeof(names[0]), cmp_names);
    *ret = TAKE_PTR(names);
    return 0;
}
