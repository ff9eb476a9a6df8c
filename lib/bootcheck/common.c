/* Helpers shared by the boot checks: the root export, reading guest files without leaving the
 * guest's root, and the common checks for <kernel> and <initrd>. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "bootcheck.h"

const nfsroot_export *bootcheck_root_export(const nfsroot_plan *plan)
{
    for (size_t i = 0; plan && i < plan->n_exports; i++)
        if (plan->exports[i].is_root)
            return &plan->exports[i];
    return NULL;
}

/* Without openat2: walk the components and refuse every symbolic link, which is stricter
 * than the guest's view but never leaves the root. */
static int open_in_root_walk(int root_fd, const char *rel, int *ret_fd)
{
    _cleanup_free_ char *copy = strdup(rel);
    if (!copy)
        return -ENOMEM;
    _cleanup_close_ int dir = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
    if (dir < 0)
        return -errno;
    char *save = NULL;
    char *comp = strtok_r(copy, "/", &save);
    while (comp) {
        char *next = strtok_r(NULL, "/", &save);
        if (strcmp(comp, "..") == 0)
            return -EXDEV;
        int flags = O_CLOEXEC | O_NOFOLLOW |
                    (next ? O_PATH | O_DIRECTORY : O_RDONLY | O_NOCTTY | O_NONBLOCK);
        int fd = openat(dir, comp, flags);
        if (fd < 0)
            return -errno;
        close(dir);
        dir = fd;
        comp = next;
    }
    *ret_fd = TAKE_FD(dir);
    return 0;
}

int bootcheck_open_in_root(int root_fd, const char *rel, int *ret_fd)
{
    while (*rel == '/')
        rel++;
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd = nfsroot_openat2(root_fd, rel, &how);
    if (fd == -ENOSYS || fd == -EPERM)
        return open_in_root_walk(root_fd, rel, ret_fd);
    if (fd < 0)
        return fd;
    *ret_fd = fd;
    return 0;
}

int bootcheck_read_in_root(const char *root, const char *rel, size_t max, char **ret)
{
    _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
        return -errno;
    _cleanup_close_ int fd = -1;
    int r = bootcheck_open_in_root(root_fd, rel, &fd);
    if (r < 0)
        return r;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    if ((uint64_t)st.st_size > max)
        return -EFBIG;
    _cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return -ENOMEM;
    size_t len = 0;
    while (len < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *ret = TAKE_PTR(buf);
    return 0;
}

bool bootcheck_is_ip_literal(const char *s, char *buf, size_t len)
{
    char tmp[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(s);
    if (n >= sizeof(tmp))
        return false;
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        memcpy(tmp, s + 1, n - 2);
        tmp[n - 2] = '\0';
    } else {
        memcpy(tmp, s, n + 1);
    }
    unsigned char a[16];
    int fam = inet_pton(AF_INET, tmp, a) == 1    ? AF_INET
              : inet_pton(AF_INET6, tmp, a) == 1 ? AF_INET6
                                                 : 0;
    if (!fam)
        return false;
    if (buf && !inet_ntop(fam, a, buf, (socklen_t)len))
        return false;
    return true;
}

bool bootcheck_same_address(const char *a, const char *b)
{
    char na[INET6_ADDRSTRLEN], nb[INET6_ADDRSTRLEN];
    if (bootcheck_is_ip_literal(a, na, sizeof(na)) && bootcheck_is_ip_literal(b, nb, sizeof(nb)))
        return strcmp(na, nb) == 0;
    return strcasecmp(a, b) == 0;
}

bool bootcheck_same_path(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la > 1 && a[la - 1] == '/')
        la--;
    while (lb > 1 && b[lb - 1] == '/')
        lb--;
    return la == lb && memcmp(a, b, la) == 0;
}

int bootfile_open(bootfile *bf, const char *what, const char *path, const nfsroot_plan *plan,
                  nfsroot_findings *f)
{
    *bf = (bootfile){ .what = what, .path = path, .fd = -1 };
    const nfsroot_export *re = bootcheck_root_export(plan);
    char code[48];

    bf->inside_export = re && path_is_under(path, re->path);
    struct stat st;
    if (lstat(path, &st) < 0 || !(bf->resolved = realpath(path, NULL))) {
        int e = errno;
        if (e == ENOMEM)
            return -ENOMEM;
        snprintf(code, sizeof(code), "%s-not-found", what);
        if (e == ENOENT)
            return nfsroot_findings_add(f, F_ERROR, code, path,
                                        "%s '%s' does not exist: fix <os><%s> in the domain "
                                        "XML or put the file there",
                                        what, path, what);
        return nfsroot_findings_add(f, F_ERROR, code, path,
                                    "%s '%s' cannot be reached (%s): fix <os><%s> or the "
                                    "permissions of its directories",
                                    what, path, strerror(e), what);
    }
    bool resolved_inside = re && path_is_under(bf->resolved, re->path);
    if (bf->inside_export && !resolved_inside) {
        snprintf(code, sizeof(code), "%s-symlink-escape", what);
        return nfsroot_findings_add(f, F_ERROR, code, path,
                                    "%s '%s' lies in the guest's root export but resolves to "
                                    "'%s' outside it through a symbolic link the guest "
                                    "controls: point <os><%s> at the real file",
                                    what, path, bf->resolved, what);
    }
    int fd = open(bf->resolved, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(code, sizeof(code), "%s-unreadable", what);
        return nfsroot_findings_add(f, F_ERROR, code, path,
                                    "%s '%s' cannot be opened (%s): make it readable by root "
                                    "and the QEMU user",
                                    what, path, strerror(errno));
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(code, sizeof(code), "%s-not-regular", what);
        return nfsroot_findings_add(f, F_ERROR, code, path,
                                    "%s '%s' is not a regular file: point <os><%s> at the "
                                    "image file itself",
                                    what, path, what);
    }
    if (st.st_size == 0) {
        close(fd);
        snprintf(code, sizeof(code), "%s-empty", what);
        return nfsroot_findings_add(f, F_ERROR, code, path,
                                    "%s '%s' is empty: rebuild or reinstall it", what, path);
    }
    bf->fd = fd;
    if (resolved_inside) {
        snprintf(code, sizeof(code), "%s-chowned", what);
        return nfsroot_findings_add(f, F_WARN, code, path,
                                    "libvirt's DAC driver changes the owner of %s '%s' inside "
                                    "the guest's root to the QEMU user at every start: copy it "
                                    "outside the export (e.g. /var/lib/libvirt/boot/) or set "
                                    "dynamic_ownership = 0 in /etc/libvirt/qemu.conf",
                                    what, bf->resolved);
    }
    return 0;
}

int bootcheck_location(const nfsroot_policy *p, const char *what, const char *path,
                       const nfsroot_plan *plan, nfsroot_findings *f)
{
    const nfsroot_export *re = bootcheck_root_export(plan);
    _cleanup_free_ char *resolved = realpath(path, NULL);
    if (!re || !resolved)
        return 0;
    if (path_is_under(resolved, re->path))
        return 0;
    char code[48];
    for (char **d = p ? p->boot_dirs : NULL; d && *d; d++) {
        _cleanup_free_ char *dir = realpath(*d, NULL);
        if (dir && path_is_under(resolved, dir)) {
            snprintf(code, sizeof(code), "%s-in-boot-dir", what);
            return nfsroot_findings_add(f, F_INFO, code, path,
                                        "%s '%s' lies in boot_dirs '%s', outside the root "
                                        "export: keep it in step with the guest's /lib/modules "
                                        "when the guest updates its kernel",
                                        what, path, *d);
        }
    }
    _cleanup_free_ char *dirs = p && p->boot_dirs ? strv_join(p->boot_dirs, ", ") : NULL;
    snprintf(code, sizeof(code), "%s-outside-export", what);
    return nfsroot_findings_add(f, F_ERROR, code, path,
                                "%s '%s' lies neither in the guest's root export '%s' nor in the "
                                "policy's boot_dirs (%s): move it to '%s/boot', or add its "
                                "directory to boot_dirs in %s",
                                what, path, re->path, dirs && *dirs ? dirs : "none", re->path,
                                p && p->source ? p->source : "the policy");
}

void bootfile_done(bootfile *bf)
{
    free(bf->resolved);
    bf->resolved = NULL;
    if (bf->fd >= 0)
        close(bf->fd);
    bf->fd = -1;
}
