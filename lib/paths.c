#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "internal.h"

/* Characters an export path may hold: enough for real trees, nothing that exports(5), the
 * exportfs command line or a log line could read differently. */
static const char path_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789/._-+@=~%";

static int openat2_path(int dirfd, const char *rel, uint64_t resolve)
{
    struct open_how how = {
        .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
        .resolve = resolve,
    };
    long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
    return fd < 0 ? -errno : (int)fd;
}

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

    for (size_t i = 0; roots && roots[i]; i++) {
        if (!path_is_under(path, roots[i]))
            continue;
        /* The root is the admin's: follow its symlinks. Below it, nothing may lead out. */
        _cleanup_free_ char *real_root = realpath(roots[i], NULL);
        if (!real_root)
            return nfsroot_err(err, -errno, NULL, "export path", NULL, 0,
                               "export root '%s' does not exist on this host", roots[i]);
        _cleanup_close_ int rootfd = open(real_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
            return nfsroot_err(err, -errno, NULL, "export path", NULL, 0,
                               "cannot open export root '%s': %s", roots[i], strerror(errno));
        const char *rel = path + strlen(roots[i]) + 1;
        _cleanup_close_ int fd = openat2_path(rootfd, rel, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        if (fd == -EXDEV)
            return nfsroot_err(err, -EXDEV, NULL, "export path", NULL, 0,
                               "export path '%s' escapes the allowed root '%s' through a "
                               "symbolic link",
                               path, roots[i]);
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
        _cleanup_free_ char *resolved = NULL;
        r = fd_path(fd, &resolved);
        if (r < 0)
            return nfsroot_err(err, r, NULL, "export path", NULL, 0,
                               "cannot resolve export path '%s': %s", path, strerror(-r));
        /* Defence in depth: what the kernel resolved must still be strictly below the root. */
        if (!path_is_under(resolved, real_root))
            return nfsroot_err(err, -EXDEV, NULL, "export path", NULL, 0,
                               "export path '%s' resolves to '%s', which is not below the "
                               "allowed root '%s'",
                               path, resolved, roots[i]);
        if (strspn(resolved, path_chars) != strlen(resolved))
            return nfsroot_err(err, -EINVAL, NULL, "export path", NULL, 0,
                               "export path '%s' resolves to a path with characters an export "
                               "may not hold",
                               path);
        *ret_resolved = TAKE_PTR(resolved);
        return 0;
    }
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
    _cleanup_close_ int fd = openat2_path(AT_FDCWD, resolved, RESOLVE_NO_SYMLINKS);
    if (fd < 0)
        return nfsroot_err(err, fd, NULL, "export path", NULL, 0,
                           "export path '%s' changed while it was being exported (%s)", resolved,
                           strerror(-fd));
    return 0;
}
