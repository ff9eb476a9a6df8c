/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The registry on shared storage (<export root>/.virt-nfsroot, see core/claim.c): this host's
 * identity, finding and opening the registry of the export root a path lies under, the claim
 * record's format (the strict, bounded reader and its writer) and the NFS-Ganesha Export_Ids
 * kept beside the claims (ids/<id>). What the claims mean, taking and releasing them, is
 * core/claim.c's. */
#include <fcntl.h>
#include <sys/stat.h>

#include "registry.h"

#define MACHINE_ID_FILE "/etc/machine-id"

static bool host_id_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= NFSROOT_HOST_ID_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") == n;
}

int nfsroot_host_id(const nfsroot_policy *p, char ret[static NFSROOT_HOST_ID_MAX + 1],
                    nfsroot_error *err)
{
    if (p->host_id) {
        snprintf(ret, NFSROOT_HOST_ID_MAX + 1, "%s", p->host_id);
        return 0;
    }
    _cleanup_free_ char *text = NULL;
    int r = read_file_all(MACHINE_ID_FILE, 256, &text, NULL);
    char line[NFSROOT_HOST_ID_MAX + 2] = "";
    if (r == 0)
        first_line(text, line, sizeof(line));
    if (r < 0 || !host_id_ok(line))
        return nfsroot_err(err, r < 0 ? r : -EINVAL, NULL, "host_id", MACHINE_ID_FILE, 0,
                           "this host has no identity for claims on shared storage: '%s' %s; "
                           "set host_id in the policy",
                           MACHINE_ID_FILE, r < 0 ? strerror(-r) : "is not a machine id");
    memcpy(ret, line, strlen(line) + 1); /* host_id_ok(): at most NFSROOT_HOST_ID_MAX */
    return 0;
}

/* The export root path lies under and the path below it (into path). */
static int root_of(const nfsroot_policy *p, const char *path, char **ret_root, const char **rel)
{
    for (size_t i = 0; p->export_roots && p->export_roots[i]; i++) {
        _cleanup_free_ char *real = NULL;
        const char *root = p->export_roots[i];
        if (!path_is_under(path, root)) {
            real = realpath(root, NULL);
            if (!real || !path_is_under(path, real))
                continue;
            root = real;
        }
        if (!(*ret_root = strdup(root)))
            return -ENOMEM;
        *rel = path + strlen(root) + (strcmp(root, "/") ? 1 : 0);
        return 0;
    }
    return -ENOENT;
}

static int registry_error(nfsroot_error *err, int r, const char *root, const char *why)
{
    return nfsroot_err(err, r, NULL, "registry", root, 0,
                       "the claims registry '%s/" NFSROOT_REGISTRY_NAME "' %s", root, why);
}

/* The registry of the export root path lies under (made when create), checked to be a
 * directory only root can enter; -ENOENT when it does not exist and !create. */
int registry_open(const nfsroot_policy *p, const char *path, bool create, const char **rel,
                  nfsroot_error *err)
{
    _cleanup_free_ char *root = NULL;
    int r = root_of(p, path, &root, rel);
    if (r == -ENOENT)
        return nfsroot_err(err, -EXDEV, NULL, "export path", NULL, 0,
                           "export path '%s' is below no export root", path);
    if (r < 0)
        return r;
    _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return nfsroot_err(err, -errno, NULL, "export path", root, 0,
                           "cannot open export root '%s': %s", root, strerror(errno));
    if (create && mkdirat(rootfd, NFSROOT_REGISTRY_NAME, 0700) < 0 && errno != EEXIST)
        return registry_error(err, -errno, root, "cannot be made");
    int fd = openat(rootfd, NFSROOT_REGISTRY_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && !create)
        return -ENOENT;
    if (fd < 0)
        return registry_error(err, -errno, root, "cannot be opened");
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
        close(fd);
        return registry_error(err, -EPERM, root,
                              "must be a directory owned by root with mode 0700 (nothing else "
                              "may write the claims that keep hosts apart)");
    }
    return fd;
}

int registry_open_claim(int regfd, const char *rel, const char *name, int flags)
{
    char sub[NFSROOT_PATH_MAX + 64];
    if (snprintf(sub, sizeof(sub), "claims/%s%s%s", rel, rel[0] ? "/" : "", name) >=
        (int)sizeof(sub))
        return -ENAMETOOLONG;
    return nfsroot_open_beneath(regfd, sub, flags | O_NOFOLLOW, NFSROOT_BENEATH_NO_SYMLINKS);
}

static bool value_ok(const char *v)
{
    for (const unsigned char *q = (const unsigned char *)v; *q; q++)
        if (*q < 0x20 || *q == 0x7f)
            return false;
    return true;
}

int nfsroot_claim_parse_head(char *text, const char *magic, char *const dst[static 4],
                             const size_t len[static 4], char **save)
{
    static const char *const keys[] = { "host ", "uuid ", "domain ", "path " };
    char *line = strtok_r(text, "\n", save);
    if (!line || strcmp(line, magic))
        return -EBADMSG;
    for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
        line = strtok_r(NULL, "\n", save);
        size_t k = strlen(keys[i]);
        if (!line || strncmp(line, keys[i], k) || strlen(line + k) >= len[i] || !value_ok(line + k))
            return -EBADMSG;
        snprintf(dst[i], len[i], "%s", line + k);
    }
    return nfsroot_uuid_is_valid(dst[1]) && path_is_normalised_absolute(dst[3]) ? 0 : -EBADMSG;
}

void nfsroot_claim_head_set(char *const dst[static 4], const size_t len[static 4], const char *me,
                            const nfsroot_plan *plan, const char *path)
{
    const char *const src[] = { me, plan->uuid, plan->domain, path };
    for (size_t i = 0; i < 4; i++)
        snprintf(dst[i], len[i], "%s", src[i]);
    for (char *q = dst[2]; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            *q = '?';
}

/* The strict reader: the five lines the writer writes, in its order, each value checked. */
int registry_claim_parse(char *text, nfsroot_claim *c)
{
    char *save = NULL, *line;
    if (nfsroot_claim_parse_head(text, REGISTRY_CLAIM_MAGIC, NFSROOT_CLAIM_HEAD(c), &save) < 0)
        return -EBADMSG;
    line = strtok_r(NULL, "\n", &save);
    if (line && (strncmp(line, "from ", 5) || !host_id_ok(line + 5)))
        return -EBADMSG;
    if (line) {
        memcpy(c->from, line + 5, strlen(line + 5) + 1); /* host_id_ok(): it fits */
        line = strtok_r(NULL, "\n", &save);
    }
    if (line || !host_id_ok(c->host))
        return -EBADMSG;
    return 0;
}

/* The claim at rel: 0 and *c, -ENOENT, or -EBADMSG for one the reader refuses. */
int registry_claim_read(int regfd, const char *rel, nfsroot_claim *c)
{
    _cleanup_close_ int fd =
        registry_open_claim(regfd, rel, REGISTRY_CLAIM_FILE, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return fd;
    _cleanup_free_ char *text = NULL;
    int r = read_regular_fd(fd, REGISTRY_READ_MAX, &text, NULL);
    if (r < 0)
        return r == -EFBIG || r == -EINVAL ? -EBADMSG : r;
    *c = (nfsroot_claim){ 0 };
    return registry_claim_parse(text, c);
}

int registry_claim_format(const nfsroot_claim *c, char *buf, size_t len)
{
    int n = snprintf(
        buf, len, REGISTRY_CLAIM_MAGIC "\nhost %s\nuuid %s\ndomain %s\npath %s\n%s%s%s", c->host,
        c->uuid, c->domain, c->path, c->from[0] ? "from " : "", c->from, c->from[0] ? "\n" : "");
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

int registry_write_temp(int leaf, const char *tmp, const char *text, size_t len)
{
    (void)unlinkat(leaf, tmp, 0);
    _cleanup_close_ int fd =
        openat(leaf, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    return write(fd, text, len) == (ssize_t)len ? 0 : -EIO;
}

/* ---- Export ids: one per (domain, path), the same on every host sharing the registry ------- */

#define ID_MAGIC "virt-nfsroot-export-id 1"

/* ids/<id>: 1 when it names want (this export), 0 when free, -1 when anything else holds it. */
static int id_state(int idsfd, uint16_t id, const char *want, size_t want_len)
{
    char name[8];
    snprintf(name, sizeof(name), "%u", id);
    _cleanup_close_ int fd = openat(idsfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (read_regular_fd(fd, REGISTRY_READ_MAX, &text, &len) < 0)
        return -1;
    return len == want_len && !memcmp(text, want, len) ? 1 : -1;
}

static int id_link(int idsfd, uint16_t id, const char *want, size_t want_len)
{
    char name[8], tmp[64];
    snprintf(name, sizeof(name), "%u", id);
    snprintf(tmp, sizeof(tmp), ",id.%ld", (long)getpid());
    int r = registry_write_temp(idsfd, tmp, want, want_len);
    if (r == 0 && linkat(idsfd, tmp, idsfd, name, 0) < 0)
        r = -errno;
    (void)unlinkat(idsfd, tmp, 0);
    return r;
}

static int ids_open(const nfsroot_policy *p, const char *path, bool allocate, nfsroot_error *err)
{
    const char *rel = NULL;
    _cleanup_close_ int regfd = registry_open(p, path, allocate, &rel, err);
    if (regfd < 0)
        return regfd;
    if (allocate && mkdirat(regfd, "ids", 0700) < 0 && errno != EEXIST)
        return nfsroot_err(err, -errno, NULL, "registry", path, 0,
                           "cannot make the export id registry for '%s': %s", path,
                           strerror(errno));
    int fd = openat(regfd, "ids", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && (errno != ENOENT || allocate))
        return nfsroot_err(err, -errno, NULL, "registry", path, 0,
                           "cannot open the export id registry for '%s': %s", path,
                           strerror(errno));
    return fd < 0 ? -ENOENT : fd;
}

/* The first candidate naming this export, else the first free one (-ENOSPC: none). */
static int id_scan(int idsfd, const uint16_t *cand, size_t n, const char *want, size_t len,
                   size_t *ret, bool *ret_ours)
{
    size_t free_at = n;
    for (size_t i = 0; i < n; i++) {
        int s = id_state(idsfd, cand[i], want, len);
        if (s == 1) {
            *ret = i;
            *ret_ours = true;
            return 0;
        }
        if (s == 0 && free_at == n)
            free_at = i;
    }
    *ret = free_at;
    *ret_ours = false;
    return free_at == n ? -ENOSPC : 0;
}

int nfsroot_registry_export_id(const nfsroot_policy *p, const char *uuid, const char *path,
                               const uint16_t *cand, size_t n, bool allocate, uint16_t *ret,
                               nfsroot_error *err)
{
    char want[REGISTRY_READ_MAX];
    int len = snprintf(want, sizeof(want), ID_MAGIC "\nuuid %s\npath %s\n", uuid, path);
    if (len < 0 || (size_t)len >= sizeof(want) || n == 0)
        return -EINVAL;
    _cleanup_close_ int idsfd = ids_open(p, path, allocate, err);
    if (idsfd == -ENOENT) { /* check only, and nothing allocated on this storage yet */
        *ret = cand[0];
        return 0;
    }
    if (idsfd < 0)
        return idsfd;
    for (int attempt = 0; attempt < 8; attempt++) {
        size_t i = 0;
        bool ours = false;
        int r = id_scan(idsfd, cand, n, want, (size_t)len, &i, &ours);
        if (r == -ENOSPC)
            return nfsroot_err(err, r, NULL, "policy key 'ganesha_export_ids'", path, 0,
                               "every one of the %zu NFS-Ganesha Export_Ids derived for export "
                               "path '%s' is taken in the registry of its export root: widen "
                               "policy key 'ganesha_export_ids' on every host",
                               n, path);
        if (!ours && allocate && (r = id_link(idsfd, cand[i], want, (size_t)len)) == -EEXIST)
            continue; /* another host took it meanwhile: look again */
        if (r < 0)
            return nfsroot_err(err, r, NULL, "registry", path, 0,
                               "cannot record the Export_Id of export path '%s': %s", path,
                               strerror(-r));
        *ret = cand[i];
        return 0;
    }
    return nfsroot_err(err, -EAGAIN, NULL, "registry", path, 0,
                       "the export id registry keeps changing under export path '%s'", path);
}
