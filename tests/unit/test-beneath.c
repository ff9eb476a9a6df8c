/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one opener beneath a root (lib/base/beneath.c): for every path of a tree with hostile links,
 * every mode and every kind of open, the fallback walk (NFSROOT_TEST_NO_OPENAT2) gives the same
 * answer as openat2 itself: the same error, or a file of the same inode. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

static const char *const paths[] = {
    "file",
    "dir/file",
    "rel",
    "reldir/file",
    "abs",
    "absdir/file",
    "absout",
    "up",
    "dir/up",
    "dir/upfile",
    "loop",
    "dangling",
    "..",
    "../x",
    "dir/../file",
    "dir/../../file",
    "/file",
    ".",
    "",
    "reldir/",
    "file/",
    "dir/file/..",
    "dir//file",
    "./dir/./file",
    "chain",
    "fifo",
    "dir/self/self/file",
    "proc",
    "dir/abs",
    "reldir/abs",
    "dir/absup",
};

static const int flags[] = { O_PATH,
                             O_RDONLY,
                             O_PATH | O_NOFOLLOW,
                             O_RDONLY | O_NOFOLLOW,
                             O_RDONLY | O_DIRECTORY,
                             O_PATH | O_DIRECTORY };

static const unsigned modes[] = { NFSROOT_BENEATH_STRICT, NFSROOT_BENEATH_IN_ROOT,
                                  NFSROOT_BENEATH_NO_SYMLINKS,
                                  NFSROOT_BENEATH_IN_ROOT | NFSROOT_BENEATH_NO_SYMLINKS };

static int make_tree(const char *t)
{
    char p[4096];
#define MK(fmt, call)                                                                              \
    do {                                                                                           \
        snprintf(p, sizeof(p), "%s/" fmt, t);                                                      \
        if ((call) < 0) {                                                                          \
            perror(p);                                                                             \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)
    MK("dir", mkdir(p, 0755));
    MK("dir/file", close(open(p, O_CREAT | O_WRONLY, 0644)));
    MK("file", close(open(p, O_CREAT | O_WRONLY, 0644)));
    MK("rel", symlink("dir/file", p));
    MK("reldir", symlink("dir", p));
    MK("abs", symlink("/dir/file", p));
    MK("absdir", symlink("/dir", p));
    MK("absout", symlink("/etc/passwd", p));
    MK("up", symlink("../file", p));
    MK("dir/up", symlink("../file", p));
    MK("dir/upfile", symlink("../../file", p));
    MK("dir/self", symlink(".", p));
    MK("dir/abs", symlink("/file", p));
    MK("dir/absup", symlink("/../dir/file", p));
    MK("loop", symlink("loop", p));
    MK("dangling", symlink("nothing", p));
    MK("chain", symlink("rel", p));
    MK("fifo", mkfifo(p, 0600));
    MK("proc", symlink("/proc/self/root/etc/passwd", p));
#undef MK
    return 0;
}

/* -errno, or 1 for a file of dev:ino (what came back when the open worked). */
static int answer(int root, const char *rel, int fl, unsigned mode, struct stat *st)
{
    int fd = nfsroot_open_beneath(root, rel, (fl & O_PATH) ? fl : fl | O_NONBLOCK, mode);
    if (fd < 0)
        return fd;
    int r = fstat(fd, st) < 0 ? -errno : 1;
    close(fd);
    return r;
}

int main(void)
{
    char t[] = "/tmp/test-beneath.XXXXXX";
    if (!mkdtemp(t) || make_tree(t) < 0)
        return 1;
    int root = open(t, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int bad = 0, n = 0;
    for (size_t i = 0; i < ELEMENTSOF(paths); i++)
        for (size_t f = 0; f < ELEMENTSOF(flags); f++)
            for (size_t m = 0; m < ELEMENTSOF(modes); m++) {
                struct stat a = { 0 }, b = { 0 };
                unsetenv("NFSROOT_TEST_NO_OPENAT2");
                int ra = answer(root, paths[i], flags[f], modes[m], &a);
                setenv("NFSROOT_TEST_NO_OPENAT2", "1", 1);
                int rb = answer(root, paths[i], flags[f], modes[m], &b);
                n++;
                if (ra == rb && (ra < 0 || (a.st_dev == b.st_dev && a.st_ino == b.st_ino)))
                    continue;
                bad++;
                printf("FAIL: '%s' flags 0%o mode %u: openat2 %s, walk %s\n", paths[i],
                       (unsigned)flags[f], modes[m], ra < 0 ? strerror(-ra) : "opened",
                       rb < 0 ? strerror(-rb) : "opened");
            }
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t);
    if (system(cmd) != 0)
        bad++;
    printf("%d of %d answers differ\n", bad, n);
    return bad ? 1 : 0;
}
