/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scan's result cache: one small text file per image, keyed by the image's identity, parsed
 * strictly when read back (it lies in a directory the host owns, but holds guest data). */
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>

#include "initramfs-private.h"

/* A scan's result as cached: the facts, or the refusal. Only refusals that depend on the
 * image's bytes alone are cached (a damaged or oversized image); a missing libarchive, a read
 * error or ENOMEM is not, so it is retried at the next start. */
typedef struct scan_result {
    int code; /* 0, -EBADMSG or -EFBIG */
    char message[sizeof(((nfsroot_error *)0)->message)];
    nfsroot_initramfs_info info;
} scan_result;

#define CACHE_FILE_MAX (16 * 1024)

typedef enum { FT_BOOL, FT_UINT, FT_U64, FT_STR } field_type;
static const struct {
    const char *key;
    field_type type;
    size_t off, size;
    uint64_t max; /* numbers */
} fields[] = {
#define B(f)                                                                                       \
    {                                                                                              \
#f, FT_BOOL, offsetof(nfsroot_initramfs_info, f), 0, 1                                     \
    }
#define S(f)                                                                                       \
    {                                                                                              \
#f, FT_STR, offsetof(nfsroot_initramfs_info, f), sizeof(((nfsroot_initramfs_info *)0)->f), \
            0                                                                                      \
    }
    S(format),
    { "n_segments", FT_UINT, offsetof(nfsroot_initramfs_info, n_segments), 0, SEGMENTS_MAX },
    B(early_cpio),
    B(microcode),
    B(has_init),
    B(dracut),
    B(initramfs_tools),
    B(nfs_scripts),
    B(mount_nfs),
    B(nfs_module),
    B(nfsv3_module),
    B(nfsv4_module),
    B(nfs_builtin_known),
    B(nfs_builtin),
    B(network),
    B(dhcp_client),
    S(dhcp_client_name),
    S(kernel_versions),
    S(dracut_modules),
    S(cmdline),
    { "n_files", FT_U64, offsetof(nfsroot_initramfs_info, n_files), 0, ENTRIES_MAX },
#undef B
#undef S
};

/* Not ctime: libvirt's DAC driver chowns <initrd> at every start and back at every stop, which
 * would make every start a cache miss. */
static void cache_key(const struct stat *sb, char *buf, size_t len)
{
    snprintf(buf, len, "virt-nfsroot initramfs-cache 2 %ju %ju %jd %jd.%09ld",
             (uintmax_t)sb->st_dev, (uintmax_t)sb->st_ino, (intmax_t)sb->st_size,
             (intmax_t)sb->st_mtim.tv_sec, sb->st_mtim.tv_nsec);
}

/* A cached string: shorter than its field, printable (bytes below 0x20 and DEL refused). */
static bool cache_str_ok(const char *v, size_t size)
{
    size_t n = strlen(v);
    if (n >= size)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return false;
    return true;
}

/* A cached number: decimal digits only, no sign, no leading zero, at most max. */
static bool cache_num(const char *v, uint64_t max, uint64_t *ret)
{
    size_t n = strlen(v);
    if (n == 0 || n > 20 || (n > 1 && v[0] == '0') || strspn(v, "0123456789") != n)
        return false;
    errno = 0;
    unsigned long long x = strtoull(v, NULL, 10);
    if (errno || x > max)
        return false;
    *ret = x;
    return true;
}

static int cache_set_field(nfsroot_initramfs_info *info, size_t i, const char *v)
{
    char *p = (char *)info + fields[i].off;
    uint64_t x;
    switch (fields[i].type) {
    case FT_BOOL:
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
            return -EBADMSG;
        *(bool *)p = v[0] == '1';
        return 0;
    case FT_UINT:
        if (!cache_num(v, fields[i].max, &x))
            return -EBADMSG;
        *(unsigned *)p = (unsigned)x;
        return 0;
    case FT_U64:
        if (!cache_num(v, fields[i].max, &x))
            return -EBADMSG;
        *(uint64_t *)p = x;
        return 0;
    case FT_STR:
        if (!cache_str_ok(v, fields[i].size))
            return -EBADMSG;
        memcpy(p, v, strlen(v) + 1);
        return 0;
    }
    return -EBADMSG;
}

/* "result=ok" then every field exactly once, nothing else. */
static int cache_parse_ok(char **save, nfsroot_initramfs_info *ret)
{
    nfsroot_initramfs_info info = { 0 };
    bool seen[ELEMENTSOF(fields)] = { false };
    size_t n_seen = 0;
    char *line;
    while ((line = strtok_r(NULL, "\n", save))) {
        char *eq = strchr(line, '=');
        if (!eq)
            return -EBADMSG;
        *eq = '\0';
        size_t i;
        for (i = 0; i < ELEMENTSOF(fields); i++)
            if (strcmp(fields[i].key, line) == 0)
                break;
        if (i == ELEMENTSOF(fields) || seen[i] || cache_set_field(&info, i, eq + 1) < 0)
            return -EBADMSG;
        seen[i] = true;
        n_seen++;
    }
    if (n_seen != ELEMENTSOF(fields) || info.n_segments == 0)
        return -EBADMSG;
    *ret = info;
    return 0;
}

/* "result=error", "code=EBADMSG|EFBIG", "message=<one printable line>", nothing else: a cached
 * refusal has no facts, so it can never be read back as a scan that passed. */
static int cache_parse_error(char **save, scan_result *ret)
{
    char *code = strtok_r(NULL, "\n", save);
    char *msg = strtok_r(NULL, "\n", save);
    if (!code || !msg || strtok_r(NULL, "\n", save))
        return -EBADMSG;
    if (strcmp(code, "code=EBADMSG") == 0)
        ret->code = -EBADMSG;
    else if (strcmp(code, "code=EFBIG") == 0)
        ret->code = -EFBIG;
    else
        return -EBADMSG;
    if (strncmp(msg, "message=", 8) != 0 || !msg[8] || !cache_str_ok(msg + 8, sizeof(ret->message)))
        return -EBADMSG;
    snprintf(ret->message, sizeof(ret->message), "%s", msg + 8);
    return 0;
}

/* Read the entry name in dir (no symbolic link, a regular file of at most CACHE_FILE_MAX bytes,
 * no NUL, ending in a newline). */
static int cache_read(const char *dir, const char *name, char **ret)
{
    _cleanup_close_ int dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
        return -errno;
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r = read_regular_at(dir_fd, name, CACHE_FILE_MAX, &buf, &len);
    if (r == -EINVAL || r == -EFBIG)
        return -EBADMSG;
    if (r < 0)
        return r;
    if (len == 0 || len > CACHE_FILE_MAX || buf[len - 1] != '\n' || memchr(buf, '\0', len))
        return -EBADMSG;
    buf[len] = '\0';
    if (strstr(buf, "\n\n")) /* strtok_r would skip an empty line: refuse it instead */
        return -EBADMSG;
    *ret = TAKE_PTR(buf);
    return 0;
}

static int cache_load(const char *dir, const char *name, const char *key, scan_result *ret)
{
    _cleanup_free_ char *text = NULL;
    int r = cache_read(dir, name, &text);
    if (r < 0)
        return r;
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    if (!line || strcmp(line, key) != 0)
        return -ESTALE;
    scan_result res = { 0 };
    line = strtok_r(NULL, "\n", &save);
    if (line && strcmp(line, "result=ok") == 0)
        r = cache_parse_ok(&save, &res.info);
    else if (line && strcmp(line, "result=error") == 0)
        r = cache_parse_error(&save, &res);
    else
        r = -EBADMSG;
    if (r < 0)
        return r;
    *ret = res;
    return 0;
}

/* Append one "key=value" line; false when it does not fit. Values are made one printable line
 * whatever they hold (guest data). */
static bool cache_put(char *out, size_t cap, size_t *len, const char *key, const char *value)
{
    size_t start = *len + strlen(key) + 1;
    int n = snprintf(out + *len, cap - *len, "%s=%s\n", key, value);
    if (n < 0 || (size_t)n >= cap - *len)
        return false;
    *len += (size_t)n;
    for (size_t j = start; j + 1 < *len; j++)
        if ((unsigned char)out[j] < 0x20 || out[j] == 0x7f)
            out[j] = ' ';
    return true;
}

static int cache_store(const char *dir, const char *name, const char *key, const scan_result *res)
{
    size_t cap = CACHE_FILE_MAX, len = 0;
    _cleanup_free_ char *out = malloc(cap);
    if (!out)
        return -ENOMEM;
    int n = snprintf(out, cap, "%s\n", key);
    if (n < 0 || (size_t)n >= cap)
        return -E2BIG;
    len = (size_t)n;
    bool ok = true;
    if (res->code) {
        ok = ok && cache_put(out, cap, &len, "result", "error") &&
             cache_put(out, cap, &len, "code", res->code == -EFBIG ? "EFBIG" : "EBADMSG") &&
             cache_put(out, cap, &len, "message", res->message);
        return ok ? write_file_atomic(dir, name, out, len, 0600) : -E2BIG;
    }
    ok = ok && cache_put(out, cap, &len, "result", "ok");
    for (size_t i = 0; i < ELEMENTSOF(fields) && ok; i++) {
        const char *p = (const char *)&res->info + fields[i].off;
        char num[32];
        const char *v = num;
        if (fields[i].type == FT_BOOL)
            snprintf(num, sizeof(num), "%d", *(const bool *)p);
        else if (fields[i].type == FT_UINT)
            snprintf(num, sizeof(num), "%u", *(const unsigned *)p);
        else if (fields[i].type == FT_U64)
            snprintf(num, sizeof(num), "%ju", (uintmax_t) * (const uint64_t *)p);
        else
            v = p;
        ok = cache_put(out, cap, &len, fields[i].key, v);
    }
    return ok ? write_file_atomic(dir, name, out, len, 0600) : -E2BIG;
}

static int ensure_cache_dir(const char *dir)
{
    _cleanup_free_ char *parent = strdup(dir);
    if (!parent)
        return -ENOMEM;
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        int r = mkdir_p(parent, 0700);
        if (r < 0)
            return r;
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* A cache directory is used only when it is an absolute path below "/": an empty or relative
 * one (an unset state_dir) means no cache, never a directory relative to the cwd or "/". */
bool initramfs_cache_dir_usable(const char *dir)
{
    return dir && dir[0] == '/' && dir[strspn(dir, "/")] != '\0';
}

static int scan_result_return(const scan_result *res, nfsroot_initramfs_info *ret,
                              nfsroot_error *err)
{
    if (res->code)
        return initramfs_scan_err(err, res->code, "%s", res->message);
    *ret = res->info;
    return 0;
}

/* Scan fd, served from / stored in cache_dir when usable. A cache that cannot be used is never
 * an error: the image is simply scanned. A refusal is cached like a result, so a hostile image
 * costs its scan once, not at every start. */
int initramfs_scan_cached(int fd, const char *cache_dir, nfsroot_initramfs_info *ret,
                          bool *ret_cached, nfsroot_error *err)
{
    struct stat before, after;
    if (fstat(fd, &before) < 0)
        return -errno;
    if (!initramfs_cache_dir_usable(cache_dir))
        cache_dir = NULL;
    char key[256], name[64];
    cache_key(&before, key, sizeof(key));
    snprintf(name, sizeof(name), "%jx-%jx", (uintmax_t)before.st_dev, (uintmax_t)before.st_ino);
    scan_result res = { 0 };
    if (ret_cached)
        *ret_cached = false;
    if (cache_dir && cache_load(cache_dir, name, key, &res) == 0) {
        if (ret_cached)
            *ret_cached = true;
        return scan_result_return(&res, ret, err);
    }
    nfsroot_error e = { 0 };
    res.code = nfsroot_initramfs_scan_fd(fd, &res.info, &e);
    if (res.code < 0 && res.code != -EBADMSG && res.code != -EFBIG) {
        if (err && e.code)
            *err = e;
        return res.code;
    }
    snprintf(res.message, sizeof(res.message), "%s", e.message);
    if (cache_dir && fstat(fd, &after) == 0) {
        char key2[256];
        cache_key(&after, key2, sizeof(key2));
        if (strcmp(key, key2) == 0 && ensure_cache_dir(cache_dir) == 0)
            (void)cache_store(cache_dir, name, key, &res);
    }
    return scan_result_return(&res, ret, err);
}

int nfsroot_initramfs_scan(const char *path, const char *cache_dir, nfsroot_initramfs_info *ret,
                           bool *ret_cached, nfsroot_error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return nfsroot_err(err, -errno, NULL, "initrd", path, 0, "cannot open '%s': %s", path,
                           strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return -errno;
    if (!S_ISREG(sb.st_mode))
        return nfsroot_err(err, -EINVAL, NULL, "initrd", path, 0, "'%s' is not a regular file",
                           path);
    return initramfs_scan_cached(fd, cache_dir, ret, ret_cached, err);
}
