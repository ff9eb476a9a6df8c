/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "host.h"

/* Characters an export path may hold: enough for real trees, nothing that exports(5), the
 * exportfs command line or a log line could read differently. */
static const char path_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789/._-+@=~%";

#define MAX_DEPTH 128

static int fd_path(int fd, char **ret)
{
    char proc[64], buf[PATH_MAX];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(proc, buf, sizeof(buf) - 1);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    char *s = strdup(buf);
    if (!s)
        return -ENOMEM;
    *ret = s;
    return 0;
}

/* Every directory strictly between the export root and the export (on the path the kernel
 * resolved, walked up with ".." from the export's fd) must be root's and writable by root only:
 * whoever else can write one can swap the export for a symbolic link after we looked, and
 * exportfs or the NFS server follow it by name. The export itself is the guest's to write; the
 * root is the admin's (doctor checks it). fstat on the fds walked, never stat on names. */
static int check_intermediates(int fd, int rootfd, const char *path, const char *root,
                               nfsroot_error *err)
{
    struct stat rst;
    if (fstat(rootfd, &rst) < 0)
        return -errno;
    _cleanup_close_ int cur = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    for (unsigned depth = 0; depth < MAX_DEPTH; depth++) {
        struct stat st;
        if (cur < 0 || fstat(cur, &st) < 0)
            return nfsroot_err(err, -errno, NULL, "export path", NULL, 0,
                               "cannot check the directories above export path '%s': %s", path,
                               strerror(errno));
        if (st.st_dev == rst.st_dev && st.st_ino == rst.st_ino)
            return 0;
        /* Root, or whoever runs this: the hook and every export run as root, so there it is
         * root alone; an unprivileged `validate` or test run trusts its own directories as it
         * trusts its own policy file (policy.c), and can export nothing anyway. */
        bool trusted_owner = st.st_uid == 0 || st.st_uid == geteuid();
        if (!trusted_owner || (st.st_mode & (S_IWGRP | S_IWOTH))) {
            _cleanup_free_ char *dir = NULL;
            int r = fd_path(cur, &dir);
            return nfsroot_err(err, -EPERM, NULL, "export path", NULL, 0,
                               "directory '%s' above export path '%s' is owned by uid %u with "
                               "mode %04o: every directory between the export root and an "
                               "export must be owned by root and writable only by root, or its "
                               "owner could swap the export for a symbolic link",
                               r < 0 ? "?" : dir, path, (unsigned)st.st_uid,
                               (unsigned)(st.st_mode & 07777));
        }
        int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct stat ust;
        /* ".." of "/" is "/": the walk left the root's tree (moved away meanwhile). */
        if (up >= 0 && fstat(up, &ust) == 0 && ust.st_dev == st.st_dev && ust.st_ino == st.st_ino) {
            close(up);
            break;
        }
        closep(&cur);
        cur = up;
    }
    return nfsroot_err(err, -EXDEV, NULL, "export path", NULL, 0,
                       "export path '%s' is no longer below the export root '%s'", path, root);
}

/* Explain a bad character so the user can find it: a space or a newline is invisible. */
static void describe_char(unsigned char c, char *buf, size_t len)
{
    if (c == ' ')
        snprintf(buf, len, "a space");
    else if (c == '\n')
        snprintf(buf, len, "a newline");
    else if (c == '\t')
        snprintf(buf, len, "a tab");
    else if (c < 0x20 || c >= 0x7f)
        snprintf(buf, len, "byte 0x%02x", c);
    else
        snprintf(buf, len, "'%c'", c);
}

static int check_syntax(const char *path, const char *roots_str, nfsroot_error *err)
{
    if (strlen(path) >= 1024)
        return nfsroot_err(err, -ENAMETOOLONG, NULL, "export path", NULL, 0,
                           "export path of %zu bytes is too long", strlen(path));
    size_t ok = strspn(path, path_chars);
    if (path[ok]) {
        char what[32];
        describe_char((unsigned char)path[ok], what, sizeof(what));
        return nfsroot_err(err, -EINVAL, NULL, "export path", NULL, 0,
                           "export path '%.200s' contains %s, which an export path may not hold",
                           path, what);
    }
    if (path[0] != '/')
        return nfsroot_err(err, -EINVAL, NULL, "export path", NULL, 0,
                           "export path '%s' is not absolute", path);
    if (!path_is_normalised_absolute(path))
        return nfsroot_err(err, -EINVAL, NULL, "export path", NULL, 0,
                           "export path '%s' is not normalised (no '.', '..', '//' or trailing "
                           "'/'); allowed roots: %s",
                           path, roots_str);
    return 0;
}

/* Open path (below root, whose real path rootfd is) with nothing below the root leading out: the
 * fd, or -errno with err saying what is wrong with the path. */
static int open_below_root(int rootfd, const char *path, const char *root, nfsroot_error *err)
{
    const char *rel = path + strlen(root) + 1;
    int fd = nfsroot_open_beneath(rootfd, rel, O_PATH | O_DIRECTORY, NFSROOT_BENEATH_STRICT);
    if (fd == -EXDEV)
        return nfsroot_err(err, -EXDEV, NULL, "export path", NULL, 0,
                           "export path '%s' escapes the allowed root '%s' through a "
                           "symbolic link",
                           path, root);
    if (fd == -ENOENT)
        return nfsroot_err(err, -ENOENT, NULL, "export path", NULL, 0,
                           "export path '%s' does not exist: create the guest's root "
                           "directory first",
                           path);
    if (fd == -ENOTDIR)
        return nfsroot_err(err, -ENOTDIR, NULL, "export path", NULL, 0,
                           "export path '%s' is not a directory", path);
    if (fd == -ELOOP)
        return nfsroot_err(err, -ELOOP, NULL, "export path", NULL, 0,
                           "export path '%s' has too many levels of symbolic links", path);
    if (fd < 0)
        return nfsroot_err(err, fd, NULL, "export path", NULL, 0,
                           "cannot open export path '%s': %s", path, strerror(-fd));
    return fd;
}

/* Resolve path, which lies below the export root root: the root is the admin's (its symlinks
 * are followed); below it, nothing may lead out. */
static int resolve_below_root(const char *path, const char *root, char **ret_resolved,
                              nfsroot_error *err)
{
    _cleanup_free_ char *real_root = realpath(root, NULL);
    if (!real_root)
        return nfsroot_err(err, -errno, NULL, "export path", NULL, 0,
                           "export root '%s' does not exist on this host", root);
    _cleanup_close_ int rootfd = open(real_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return nfsroot_err(err, -errno, NULL, "export path", NULL, 0,
                           "cannot open export root '%s': %s", root, strerror(errno));
    _cleanup_close_ int fd = open_below_root(rootfd, path, root, err);
    if (fd < 0)
        return fd;
    _cleanup_free_ char *resolved = NULL;
    int r = fd_path(fd, &resolved);
    if (r < 0)
        return nfsroot_err(err, r, NULL, "export path", NULL, 0,
                           "cannot resolve export path '%s': %s", path, strerror(-r));
    /* Defence in depth: what the kernel resolved must still be strictly below the root. */
    if (!path_is_under(resolved, real_root))
        return nfsroot_err(err, -EXDEV, NULL, "export path", NULL, 0,
                           "export path '%s' resolves to '%s', which is not below the "
                           "allowed root '%s'",
                           path, resolved, root);
    if (strspn(resolved, path_chars) != strlen(resolved))
        return nfsroot_err(err, -EINVAL, NULL, "export path", NULL, 0,
                           "export path '%s' resolves to a path with characters an export "
                           "may not hold",
                           path);
    const char *below = resolved + (strcmp(real_root, "/") ? strlen(real_root) + 1 : 1);
    size_t n = strlen(NFSROOT_STAGING_DIR);
    if (!strncmp(below, NFSROOT_STAGING_DIR, n) && (below[n] == '/' || !below[n]))
        return nfsroot_err(err, -EPERM, NULL, "export path", NULL, 0,
                           "export path '%s' lies in '%s/" NFSROOT_STAGING_DIR "', where create "
                           "builds trees no guest may reach",
                           path, root);
    r = check_intermediates(fd, rootfd, path, root, err);
    if (r < 0)
        return r;
    *ret_resolved = TAKE_PTR(resolved);
    return 0;
}

int nfsroot_path_resolve(const char *path, char *const *roots, char **ret_resolved,
                         nfsroot_error *err)
{
    _cleanup_free_ char *roots_str = strv_join(roots, "', '");
    if (!roots_str)
        return -ENOMEM;
    char quoted[1100];
    snprintf(quoted, sizeof(quoted), "'%s'", roots_str);
    int r = check_syntax(path, quoted, err);
    if (r < 0)
        return r;
    for (size_t i = 0; roots && roots[i]; i++)
        if (path_is_under(path, roots[i]))
            return resolve_below_root(path, roots[i], ret_resolved, err);
    for (size_t i = 0; roots && roots[i]; i++)
        if (strcmp(path, roots[i]) == 0)
            return nfsroot_err(err, -EPERM, NULL, "export path", NULL, 0,
                               "export path '%s' is an export root itself: export a directory "
                               "below it, e.g. '%s/<domain>'",
                               path, roots[i]);
    return nfsroot_err(err, -EPERM, NULL, "export path", NULL, 0,
                       "export path '%s' escapes the allowed roots (%s)", path, quoted);
}

/* Re-check right before exporting: the resolved path must still be a directory reached without
 * any symbolic link, so a link swapped in after planning cannot win. */
int nfsroot_path_verify(const char *resolved, nfsroot_error *err)
{
    _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int fd =
        rootfd < 0 ? -errno
                   : nfsroot_open_beneath(rootfd, resolved + strspn(resolved, "/"),
                                          O_PATH | O_DIRECTORY, NFSROOT_BENEATH_NO_SYMLINKS);
    if (fd < 0)
        return nfsroot_err(err, fd, NULL, "export path", NULL, 0,
                           "export path '%s' changed while it was being exported (%s)", resolved,
                           strerror(-fd));
    return 0;
}
