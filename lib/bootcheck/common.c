/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the boot checks: the root export, reading guest files without leaving the
 * guest's root, and the common checks for <kernel> and <initrd>. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
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

void bootcheck_want_root(const nfsroot_policy *p, const char *server, const char *path, char *buf,
                         size_t len)
{
    const char *vers = nfsroot_backend_guest_nfs_version(p);
    bool other = vers && strcmp(vers, "4.2") != 0;
    snprintf(buf, len, "root=nfs4:%s:%s%s%s", server, path, other ? ":vers=" : "",
             other ? vers : "");
}

int bootcheck_open_in_root(int root_fd, const char *rel, int *ret_fd)
{
    int fd = nfsroot_open_beneath_reg(root_fd, rel, NFSROOT_BENEATH_IN_ROOT);
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
    return nfsroot_read_beneath(root_fd, rel, NFSROOT_BENEATH_IN_ROOT, max, ret, NULL);
}

const char *bootcheck_archive_kind(const uint8_t *m, size_t n)
{
    if (n >= 6 && (memcmp(m, "070701", 6) == 0 || memcmp(m, "070702", 6) == 0))
        return "cpio";
    if (n >= 6 && memcmp(m, "070707", 6) == 0)
        return "cpio-odc";
    if (n >= 2 && m[0] == 0x1f && (m[1] == 0x8b || m[1] == 0x9e))
        return "gzip";
    if (n >= 4 && memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0)
        return "zstd";
    if (n >= 6 && memcmp(m,
                         "\xfd"
                         "7zXZ\0",
                         6) == 0)
        return "xz";
    if (n >= 3 && m[0] == 0x5d && m[1] == 0x00 && m[2] == 0x00)
        return "lzma";
    if (n >= 4 && (memcmp(m, "\x02\x21\x4c\x18", 4) == 0 || memcmp(m, "\x04\x22\x4d\x18", 4) == 0))
        return "lz4";
    if (n >= 3 && memcmp(m, "BZh", 3) == 0)
        return "bzip2";
    if (n >= 4 && memcmp(m, "\x89LZO", 4) == 0)
        return "lzop";
    return NULL;
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

/* Which allowed directory a boot file's path names, from the path as written: the root export
 * (libvirt chows what lies there) or a policy boot_dirs entry, as configured or as it resolves.
 * Decided before anything is opened, so a path elsewhere costs no lookup at all. */
static const char *bootfile_base(const nfsroot_policy *p, const char *path,
                                 const nfsroot_export *re, bool *ret_in_export,
                                 char **ret_resolved_dir)
{
    *ret_in_export = false;
    *ret_resolved_dir = NULL;
    if (path[0] != '/')
        return NULL;
    if (re && path_is_under(path, re->path)) {
        *ret_in_export = true;
        return re->path;
    }
    for (char **d = p ? p->boot_dirs : NULL; d && *d; d++) {
        if ((*d)[0] != '/')
            continue;
        if (path_is_under(path, *d))
            return *d;
        char *real = realpath(*d, NULL);
        if (real && path_is_under(path, real)) {
            *ret_resolved_dir = real;
            return real;
        }
        free(real);
    }
    return NULL;
}

/* Open rel beneath dir_fd as an O_PATH fd: '..', absolute links and links leading out of dir
 * fail with EXDEV before their target is looked up, so whether a file exists outside dir is
 * never learnt. */
static int open_beneath(int dir_fd, const char *rel, int *ret_fd)
{
    int fd = nfsroot_open_beneath(dir_fd, rel + strspn(rel, "/"), O_PATH, NFSROOT_BENEATH_STRICT);
    if (fd < 0)
        return fd;
    *ret_fd = fd;
    return 0;
}

static int bootfile_outside(const nfsroot_policy *p, const char *what, const char *path,
                            const nfsroot_export *re, nfsroot_findings *f)
{
    char code[48];
    _cleanup_free_ char *dirs = p && p->boot_dirs ? strv_join(p->boot_dirs, ", ") : NULL;
    snprintf(code, sizeof(code), "%s-outside-export", what);
    return nfsroot_findings_add(f, F_ERROR, code, path,
                                "%s '%s' lies neither in the guest's root export '%s' nor in the "
                                "policy's boot_dirs (%s): move it to '%s/boot', or add its "
                                "directory to boot_dirs in %s",
                                what, path, re ? re->path : "none", dirs && *dirs ? dirs : "none",
                                re ? re->path : "<root export>",
                                p && p->source ? p->source : "the policy");
}

/* A finding for a path beneath an allowed directory that could not be opened (r < 0). */
static int bootfile_unreachable(const char *what, const char *path, bool in_export, int r,
                                nfsroot_findings *f)
{
    char code[48];
    if (r == -EXDEV || r == -ELOOP) {
        snprintf(code, sizeof(code), "%s-symlink-escape", what);
        return nfsroot_findings_add(
            f, F_ERROR, code, path,
            "%s '%s' leads out of the %s through '..' or a symbolic "
            "link: point <os><%s> at the real file",
            what, path, in_export ? "guest's root export" : "boot_dirs directory", what);
    }
    snprintf(code, sizeof(code), "%s-not-found", what);
    if (r == -ENOENT || r == -ENOTDIR)
        return nfsroot_findings_add(f, F_ERROR, code, path,
                                    "%s '%s' does not exist: fix <os><%s> in the domain XML or "
                                    "put the file there",
                                    what, path, what);
    return nfsroot_findings_add(f, F_ERROR, code, path,
                                "%s '%s' cannot be reached (%s): fix <os><%s> or the "
                                "permissions of its directories",
                                what, path, strerror(-r), what);
}

int bootfile_open(bootfile *bf, const nfsroot_policy *p, const char *what, const char *path,
                  const nfsroot_plan *plan, nfsroot_findings *f)
{
    *bf = (bootfile){ .what = what, .path = path, .fd = -1 };
    const nfsroot_export *re = bootcheck_root_export(plan);
    char code[48];

    _cleanup_free_ char *resolved_dir = NULL;
    const char *base = bootfile_base(p, path, re, &bf->inside_export, &resolved_dir);
    if (!base)
        return bootfile_outside(p, what, path, re, f);
    _cleanup_close_ int dir_fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
        return bootfile_unreachable(what, path, bf->inside_export,
                                    errno == ENOTDIR ? -ENOENT : -errno, f);
    _cleanup_close_ int path_fd = -1;
    int r = open_beneath(dir_fd, path + strlen(base) + 1, &path_fd);
    if (r == -ENOMEM)
        return r;
    if (r < 0) {
        if ((r == -EXDEV || r == -ELOOP) && !bf->inside_export)
            return bootfile_outside(p, what, path, re, f);
        return bootfile_unreachable(what, path, bf->inside_export, r, f);
    }
    struct stat st;
    if (fstat(path_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(code, sizeof(code), "%s-not-regular", what);
        return nfsroot_findings_add(f, F_ERROR, code, path,
                                    "%s '%s' is not a regular file: point <os><%s> at the "
                                    "image file itself",
                                    what, path, what);
    }
    if (st.st_size == 0) {
        snprintf(code, sizeof(code), "%s-empty", what);
        return nfsroot_findings_add(f, F_ERROR, code, path,
                                    "%s '%s' is empty: rebuild or reinstall it", what, path);
    }
    r = reopen_regular(&path_fd);
    if (r < 0) {
        snprintf(code, sizeof(code), "%s-unreadable", what);
        return nfsroot_findings_add(f, F_ERROR, code, path,
                                    "%s '%s' cannot be opened (%s): make it readable by root "
                                    "and the QEMU user",
                                    what, path, strerror(-r));
    }
    bf->fd = TAKE_FD(path_fd);
    if ((r = bootcheck_qemu_access(p, what, path, &st, f)) < 0)
        return r;
    if (bf->inside_export) {
        snprintf(code, sizeof(code), "%s-chowned", what);
        return nfsroot_findings_add(f, F_WARN, code, path,
                                    "libvirt's DAC driver changes the owner of %s '%s' inside "
                                    "the guest's root to the QEMU user at every start: copy it "
                                    "outside the export (e.g. /var/lib/libvirt/boot/) or set "
                                    "dynamic_ownership = 0 in /etc/libvirt/qemu.conf",
                                    what, path);
    }
    snprintf(code, sizeof(code), "%s-in-boot-dir", what);
    return nfsroot_findings_add(f, F_INFO, code, path,
                                "%s '%s' lies in boot_dirs '%s', outside the root export: keep "
                                "it in step with the guest's /lib/modules when the guest "
                                "updates its kernel",
                                what, path, base);
}

void bootfile_done(bootfile *bf)
{
    if (bf->fd >= 0)
        close(bf->fd);
    bf->fd = -1;
}

bool initramfs_has_word(const char *list, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += wl) {
        bool start = p == list || p[-1] == ' ';
        bool end = p[wl] == '\0' || p[wl] == ' ';
        if (start && end)
            return true;
    }
    return false;
}
