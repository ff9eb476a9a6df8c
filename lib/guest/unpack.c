/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unpacking a guest tree from a tarball with libarchive (loaded here, by SONAME). libarchive
 * only reads: every write is ours, beneath the target's fd, through no symbolic link, so a
 * hostile archive (.. names, absolute names, members below a link it made, device nodes, a
 * bomb) cannot write outside the target or past the caps. */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "profile.h"

#define UNPACK_SYMS(X)                                                                             \
    LIBARCHIVE_READ_SYMS(X)                                                                        \
    X(archive_entry_gid)                                                                           \
    X(archive_entry_hardlink)                                                                      \
    X(archive_entry_mtime)                                                                         \
    X(archive_entry_perm)                                                                          \
    X(archive_entry_symlink)                                                                       \
    X(archive_entry_uid)                                                                           \
    X(archive_read_open_fd)                                                                        \
    X(archive_read_support_format_tar)

typedef struct unpack_api {
    void *handle;
#define X(sym) typeof(sym) *sym;
    UNPACK_SYMS(X)
#undef X
} unpack_api;

#define DATA_BLOCK (256 * 1024)

typedef struct unpack {
    unpack_api api;
    struct archive *a;
    const char *archive, *target;
    int target_fd;
    uint64_t max_bytes, max_entries, bytes, entries, total;
    bool root;             /* running as root: owners are kept */
    bool nosuid;           /* ... and setuid/setgid bits, the target's mount being nosuid */
    uint64_t dropped;      /* files whose setuid/setgid bits were dropped */
    char parent[PATH_MAX]; /* the directory of the last member, "" for the target */
    int parent_fd;         /* open on it, -1 when none */
    char *buf;
    nfsroot_guest_progress_fn fn;
    void *userdata;
    nfsroot_error *err;
} unpack;

static int uerr(unpack *u, int code, const char *fmt, ...) _printf_(3, 4);
static int uerr(unpack *u, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return nfsroot_err(u->err, code, NULL, "tarball", u->archive, 0, "tarball '%s': %s", u->archive,
                       msg);
}

/* A member name made printable for a message. */
static const char *shown(const char *name, char *buf, size_t len)
{
    nfsroot_escape(name, NFSROOT_ESCAPE_TEXT, buf, len);
    return buf;
}

/* "./a//b/" -> "a/b"; "" for the archive's top directory. -EXDEV for an absolute name or a ".."
 * component, -ENAMETOOLONG past PATH_MAX or NAME_MAX. */
static int clean_name(const char *name, char *out, size_t len)
{
    if (name[0] == '/')
        return -EXDEV;
    size_t o = 0;
    for (const char *p = name; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return -EXDEV;
        if (n > NAME_MAX)
            return -ENAMETOOLONG;
        if (n && !(n == 1 && p[0] == '.')) {
            if (o + n + 2 > len)
                return -ENAMETOOLONG;
            if (o)
                out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
        p += strspn(p, "/");
    }
    out[o] = '\0';
    return 0;
}

/* The directory dir beneath the target, made (0755) where missing, reached through no symbolic
 * link: -ELOOP / -ENOTDIR when a component is a link or not a directory. */
static int walk(unpack *u, const char *dir, bool create, int *ret_fd)
{
    _cleanup_close_ int fd = fcntl(u->target_fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return -errno;
    char comp[NAME_MAX + 1];
    for (const char *p = dir; *p;) {
        size_t n = strcspn(p, "/");
        snprintf(comp, sizeof(comp), "%.*s", (int)n, p);
        if (create && mkdirat(fd, comp, 0755) < 0 && errno != EEXIST)
            return -errno;
        int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0)
            return errno == ENOTDIR || errno == ELOOP ? -ELOOP : -errno;
        close(fd);
        fd = next;
        p += n;
        p += strspn(p, "/");
    }
    *ret_fd = TAKE_FD(fd);
    return 0;
}

/* The parent of name (cached: archives list a directory's members together). */
static int parent_of(unpack *u, const char *name, const char **ret_base)
{
    const char *slash = strrchr(name, '/');
    size_t n = slash ? (size_t)(slash - name) : 0;
    *ret_base = slash ? slash + 1 : name;
    if (u->parent_fd >= 0 && strlen(u->parent) == n && strncmp(u->parent, name, n) == 0)
        return u->parent_fd;
    if (u->parent_fd >= 0)
        close(u->parent_fd);
    u->parent_fd = -1;
    snprintf(u->parent, sizeof(u->parent), "%.*s", (int)n, name);
    int fd = -1;
    int r = walk(u, u->parent, true, &fd);
    if (r < 0)
        return r;
    u->parent_fd = fd;
    return fd;
}

/* Make room for a new member: whatever non-directory is there goes (never followed). */
static int clear_slot(int dir, const char *base)
{
    struct stat st;
    if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (S_ISDIR(st.st_mode))
        return -EISDIR;
    return unlinkat(dir, base, 0) < 0 ? -errno : 0;
}

static mode_t member_mode(const unpack *u, struct archive_entry *e)
{
    mode_t m = u->api.archive_entry_perm(e) & 07777;
    return u->root ? m : m & 0777;
}

/* A file's mode: setuid and setgid bits only as root and on a nosuid mount (elsewhere a local
 * user could run a tarball's setuid-root program through the export); the others counted. */
static mode_t file_mode(unpack *u, struct archive_entry *e)
{
    mode_t m = member_mode(u, e);
    if (!u->nosuid && (u->api.archive_entry_perm(e) & 06000)) {
        u->dropped++;
        m &= ~(mode_t)06000;
    }
    return m;
}

/* Owner, then mode (chown clears setuid bits), then mtime, on an open member. */
static int finish_fd(unpack *u, int fd, struct archive_entry *e, mode_t mode)
{
    if (u->root &&
        fchown(fd, (uid_t)u->api.archive_entry_uid(e), (gid_t)u->api.archive_entry_gid(e)) < 0)
        return -errno;
    if (fchmod(fd, mode) < 0)
        return -errno;
    struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT },
                              { .tv_sec = (time_t)u->api.archive_entry_mtime(e) } };
    return futimens(fd, ts) < 0 ? -errno : 0;
}

static int over_cap(unpack *u)
{
    /* Headers and data of skipped members cost work too: bound the whole stream. */
    uint64_t stream = (uint64_t)u->api.archive_filter_bytes(u->a, 0);
    if (u->bytes > u->max_bytes || stream > u->max_bytes + u->max_entries * 1024 + (1u << 20))
        return uerr(u, -EFBIG,
                    "unpacks to more than %" PRIu64 " bytes: refused (a bomb, or raise the cap)",
                    u->max_bytes);
    return 0;
}

static int put_file(unpack *u, struct archive_entry *e, int dir, const char *base)
{
    int r = clear_slot(dir, base);
    if (r < 0)
        return r;
    _cleanup_close_ int fd =
        openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    for (;;) {
        la_ssize_t n = u->api.archive_read_data(u->a, u->buf, DATA_BLOCK);
        if (n < 0)
            return -EBADMSG;
        if (n == 0)
            break;
        u->bytes += (uint64_t)n;
        if ((r = over_cap(u)) < 0)
            return r;
        for (la_ssize_t off = 0; off < n;) {
            ssize_t w = write(fd, u->buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return -errno;
            off += w;
        }
    }
    return finish_fd(u, fd, e, file_mode(u, e));
}

static int put_dir(unpack *u, struct archive_entry *e, int dir, const char *base)
{
    if (mkdirat(dir, base, 0700) < 0 && errno != EEXIST)
        return -errno;
    _cleanup_close_ int fd = openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOTDIR || errno == ELOOP ? -EEXIST : -errno;
    /* Without root, a read-only directory would refuse its own members. */
    mode_t mode = member_mode(u, e) | (u->root ? 0 : 0700);
    return finish_fd(u, fd, e, mode);
}

static int put_symlink(unpack *u, struct archive_entry *e, int dir, const char *base)
{
    const char *to = u->api.archive_entry_symlink(e);
    if (!to || !*to || strlen(to) >= PATH_MAX)
        return -EINVAL;
    int r = clear_slot(dir, base);
    if (r < 0)
        return r;
    /* Kept as written, even pointing out: a link is only ever followed inside the guest. */
    if (symlinkat(to, dir, base) < 0)
        return -errno;
    if (u->root && fchownat(dir, base, (uid_t)u->api.archive_entry_uid(e),
                            (gid_t)u->api.archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    return 0;
}

static int put_hardlink(unpack *u, const char *src, int dir, const char *base)
{
    char name[PATH_MAX];
    int r = clean_name(src, name, sizeof(name));
    if (r < 0)
        return r;
    const char *slash = strrchr(name, '/');
    _cleanup_free_ char *sdir = strndup(name, slash ? (size_t)(slash - name) : 0);
    if (!sdir)
        return -ENOMEM;
    _cleanup_close_ int sfd = -1;
    if ((r = walk(u, sdir, false, &sfd)) < 0)
        return r;
    if ((r = clear_slot(dir, base)) < 0)
        return r;
    return linkat(sfd, slash ? slash + 1 : name, dir, base, 0) < 0 ? -errno : 0;
}

static int member_err(unpack *u, int r, const char *raw)
{
    char n[512];
    shown(raw, n, sizeof(n));
    switch (r) {
    case -EXDEV:
        return uerr(u, r, "member '%s' names a place outside the target: refused", n);
    case -ELOOP:
        return uerr(u, r,
                    "member '%s' lies below a symbolic link or a file: refused (nothing is "
                    "written through a link)",
                    n);
    case -EISDIR:
    case -EEXIST:
        return uerr(u, r, "member '%s' would replace a directory or follow a link: refused", n);
    case -EBADMSG:
        return uerr(u, r, "member '%s' cannot be read: %s", n,
                    u->api.archive_error_string(u->a) ? u->api.archive_error_string(u->a)
                                                      : "corrupt archive");
    default:
        return uerr(u, r, "member '%s' cannot be written: %s", n, strerror(-r));
    }
}

static int put_member(unpack *u, struct archive_entry *e)
{
    const char *raw = u->api.archive_entry_pathname(e);
    if (!raw)
        return uerr(u, -EBADMSG, "a member has no name");
    char name[PATH_MAX];
    int r = clean_name(raw, name, sizeof(name));
    if (r < 0)
        return member_err(u, r, raw);
    mode_t type = u->api.archive_entry_filetype(e);
    const char *hard = u->api.archive_entry_hardlink(e);
    /* Device nodes, FIFOs and sockets are skipped: devtmpfs provides /dev in the guest. */
    if (!name[0] || (!hard && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK))
        return 0;
    const char *base = NULL;
    int dir = parent_of(u, name, &base);
    if (dir < 0)
        return member_err(u, dir, raw);
    if (hard) {
        char src[PATH_MAX];
        if (clean_name(hard, src, sizeof(src)) == 0 && strcmp(src, name) == 0)
            return 0;
        r = put_hardlink(u, hard, dir, base);
    } else if (type == AE_IFREG) {
        r = put_file(u, e, dir, base);
    } else if (type == AE_IFDIR) {
        r = put_dir(u, e, dir, base);
    } else {
        r = put_symlink(u, e, dir, base);
    }
    if (r == -EFBIG)
        return r; /* already said */
    return r < 0 ? member_err(u, r, raw) : 0;
}

static int unpack_loop(unpack *u)
{
    for (;;) {
        struct archive_entry *e = NULL;
        int r = u->api.archive_read_next_header(u->a, &e);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r < ARCHIVE_WARN) {
            const char *why = u->api.archive_error_string(u->a);
            return uerr(u, -EBADMSG, "not a readable tar archive: %s", why ? why : "unknown error");
        }
        if (++u->entries > u->max_entries)
            return uerr(u, -EFBIG,
                        "has more than %" PRIu64 " members: refused (a bomb, or raise the cap)",
                        u->max_entries);
        if ((r = over_cap(u)) < 0 || (r = put_member(u, e)) < 0)
            return r;
        if (u->fn && (u->entries & 63) == 0)
            u->fn((uint64_t)u->api.archive_filter_bytes(u->a, -1), u->total, u->userdata);
    }
}

static uint64_t cap_of(const nfsroot_guest_config *c, nfsroot_guest_key k, uint64_t def)
{
    const char *v = c ? c->v[k] : NULL;
    return v ? strtoull(v, NULL, 10) : def;
}

static int unpack_open(unpack *u)
{
    const nfsroot_dlsym syms[] = {
#define X(sym) { #sym, (void **)&u->api.sym },
        UNPACK_SYMS(X)
#undef X
    };
    char why[512];
    int r = nfsroot_dlopen(NFSROOT_LIBARCHIVE_SONAME, syms, ELEMENTSOF(syms), &u->api.handle, why,
                           sizeof(why));
    if (r < 0)
        return uerr(u, r, "libarchive is needed to unpack it (%s): install libarchive", why);
    if (!(u->a = u->api.archive_read_new()) || !(u->buf = malloc(DATA_BLOCK)))
        return uerr(u, -ENOMEM, "out of memory");
    u->api.archive_read_support_filter_all(u->a);
    u->api.archive_read_support_format_tar(u->a);
    return 0;
}

int nfsroot_guest_unpack(const char *archive, const char *target, const nfsroot_guest_config *c,
                         nfsroot_guest_progress_fn fn, void *userdata, nfsroot_error *err)
{
    unpack u = { .archive = archive,
                 .target = target,
                 .target_fd = -1,
                 .parent_fd = -1,
                 .max_bytes = cap_of(c, NFSROOT_GUEST_UNPACK_MAX_BYTES, GUEST_UNPACK_MAX_BYTES),
                 .max_entries =
                     cap_of(c, NFSROOT_GUEST_UNPACK_MAX_ENTRIES, GUEST_UNPACK_MAX_ENTRIES),
                 .root = geteuid() == 0,
                 .fn = fn,
                 .userdata = userdata,
                 .err = err };
    _cleanup_close_ int fd = open_regular(archive);
    struct stat st;
    int r = 0;
    if (fd == -EINVAL)
        return uerr(&u, fd, "is not a regular file");
    if (fd < 0)
        return uerr(&u, fd, "cannot be opened: %s", strerror(-fd));
    if (fstat(fd, &st) < 0)
        return uerr(&u, -errno, "cannot be opened: %s", strerror(errno));
    u.total = (uint64_t)st.st_size;
    u.target_fd = open(target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (u.target_fd < 0)
        return nfsroot_err(err, -errno, NULL, "target", target, 0,
                           "the target directory '%s' cannot be opened: %s", target,
                           strerror(errno));
    struct statvfs sv;
    u.nosuid = u.root && fstatvfs(u.target_fd, &sv) == 0 && (sv.f_flag & ST_NOSUID);
    if ((r = unpack_open(&u)) >= 0) {
        if (u.api.archive_read_open_fd(u.a, fd, DATA_BLOCK) != ARCHIVE_OK)
            r = uerr(&u, -EBADMSG, "cannot be read: %s",
                     u.api.archive_error_string(u.a) ? u.api.archive_error_string(u.a) : "?");
        else
            r = unpack_loop(&u);
    }
    if (r >= 0 && fn)
        fn(u.total, u.total, userdata);
    if (u.a)
        u.api.archive_read_free(u.a);
    if (u.api.handle)
        dlclose(u.api.handle);
    if (u.parent_fd >= 0)
        close(u.parent_fd);
    close(u.target_fd);
    free(u.buf);
    return r < 0 ? r : (int)(u.dropped > INT_MAX ? INT_MAX : u.dropped);
}
