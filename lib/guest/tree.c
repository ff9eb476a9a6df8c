/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A guest tree's files, reached beneath its root: symbolic links resolve inside the tree (as
 * the guest would see them) and never lead out; writes replace, never follow, what is there. */
#include <fcntl.h>
#include <sys/stat.h>

#include "guest.h"

bool guest_exists(int root_fd, const char *rel)
{
    _cleanup_close_ int fd = nfsroot_open_beneath_reg(root_fd, rel, NFSROOT_BENEATH_IN_ROOT);
    return fd >= 0;
}

int guest_read(int root_fd, const char *rel, size_t max, char **ret)
{
    return nfsroot_read_beneath(root_fd, rel, NFSROOT_BENEATH_IN_ROOT, max, ret, NULL);
}

/* The directory rel, opened (O_PATH) beneath the root; made when missing. Each component is
 * looked up as the guest sees it, from the root again: a link already there stays inside the
 * tree, and one swapped in is followed inside it too. */
static int open_dir(int root_fd, const char *rel, bool create, mode_t mode, int *ret_fd)
{
    _cleanup_free_ char *prefix = strdup(rel + strspn(rel, "/"));
    _cleanup_close_ int dir = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
    if (!prefix || dir < 0)
        return !prefix ? -ENOMEM : -errno;
    for (char *c = prefix, *end; *c; c = end + strspn(end, "/")) {
        end = c + strcspn(c, "/");
        char saved = *end;
        *end = '\0';
        if (strcmp(c, "..") == 0 || strcmp(c, ".") == 0)
            return -EXDEV;
        int fd =
            nfsroot_open_beneath(root_fd, prefix, O_PATH | O_DIRECTORY, NFSROOT_BENEATH_IN_ROOT);
        if (fd == -ENOENT && create) {
            if (mkdirat(dir, c, mode) < 0 && errno != EEXIST)
                return -errno;
            fd = nfsroot_open_beneath(root_fd, prefix, O_PATH | O_DIRECTORY,
                                      NFSROOT_BENEATH_IN_ROOT);
        }
        if (fd < 0)
            return fd;
        closep(&dir);
        dir = fd;
        *end = saved;
    }
    *ret_fd = TAKE_FD(dir);
    return 0;
}

int guest_mkdir(int root_fd, const char *rel, mode_t mode)
{
    _cleanup_close_ int fd = -1;
    return open_dir(root_fd, rel, true, mode, &fd);
}

/* Split rel into its directory (made when missing) and its last component. */
static int open_parent(int root_fd, const char *rel, int *ret_dir, const char **ret_name)
{
    while (*rel == '/')
        rel++;
    const char *slash = strrchr(rel, '/');
    const char *name = slash ? slash + 1 : rel;
    if (!*name || strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
        return -EINVAL;
    _cleanup_free_ char *dir = strndup(rel, slash ? (size_t)(slash - rel) : 0);
    if (!dir)
        return -ENOMEM;
    int r = open_dir(root_fd, dir, true, 0755, ret_dir);
    if (r < 0)
        return r;
    *ret_name = name;
    return 0;
}

/* Replace name in dir with data (temp + fsync + rename); owner uid:gid unless uid is -1. */
static int write_replace(int dir, const char *name, const char *data, size_t len, mode_t mode,
                         uid_t uid, gid_t gid)
{
    char tmp[300];
    snprintf(tmp, sizeof(tmp), ".%.200s.virt-nfsroot-%ld", name, (long)getpid());
    (void)unlinkat(dir, tmp, 0);
    _cleanup_close_ int fd =
        openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int r = 0;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            goto fail;
        }
        off += (size_t)n;
    }
    /* EPERM: not root (the tests run unprivileged); the file is then the caller's. */
    if ((uid != (uid_t)-1 && fchown(fd, uid, gid) < 0 && errno != EPERM) || fchmod(fd, mode) < 0 ||
        fsync(fd) < 0 || renameat(dir, tmp, dir, name) < 0) {
        r = -errno;
        goto fail;
    }
    return 0;
fail:
    (void)unlinkat(dir, tmp, 0);
    return r;
}

int guest_write(int root_fd, const char *rel, const char *data, size_t len, mode_t mode)
{
    _cleanup_close_ int dir = -1;
    const char *name = NULL;
    int r = open_parent(root_fd, rel, &dir, &name);
    if (r < 0)
        return r;
    /* A file already there keeps its owner and mode. */
    struct stat old;
    if (fstatat(dir, name, &old, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(old.st_mode))
        return write_replace(dir, name, data, len, old.st_mode & 07777, old.st_uid, old.st_gid);
    return write_replace(dir, name, data, len, mode, (uid_t)-1, (gid_t)-1);
}

int guest_write_as(int root_fd, const char *rel, const char *data, size_t len, mode_t mode,
                   uid_t uid, gid_t gid)
{
    _cleanup_close_ int dir = -1;
    const char *name = NULL;
    int r = open_parent(root_fd, rel, &dir, &name);
    return r < 0 ? r : write_replace(dir, name, data, len, mode, uid, gid);
}

int guest_symlink(int root_fd, const char *target, const char *rel)
{
    _cleanup_close_ int dir = -1;
    const char *name = NULL;
    int r = open_parent(root_fd, rel, &dir, &name);
    if (r < 0)
        return r;
    char tmp[300];
    snprintf(tmp, sizeof(tmp), ".%.200s.virt-nfsroot-%ld", name, (long)getpid());
    (void)unlinkat(dir, tmp, 0);
    if (symlinkat(target, dir, tmp) < 0)
        return -errno;
    if (renameat(dir, tmp, dir, name) < 0) {
        r = -errno;
        (void)unlinkat(dir, tmp, 0);
        return r;
    }
    return 0;
}
