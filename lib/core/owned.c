/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Ownership records: what create and annotate --pin-address made for a domain, so that delete
 * removes that and nothing a domain's XML merely names. The format, its strict reader and the
 * files, one per domain UUID in the policy's owned_dir (root-only, persistent: a guest's tree
 * outlives a reboot, so does the record of who made it). */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "core.h"

/* Records, version 1:
 *   virt-nfsroot-owned 1
 *   uuid UUID                  (lower case; equal to the file's name without ".owned")
 *   name NAME                  (the rest of the line)
 *   pin MAC IPV4 NETWORK       (optional; the network is the rest of the line)
 *   tree DEV INO PATH          (optional; the path is the rest of the line)
 *   end
 * Every value is checked as it is set, and a record must read back as exactly the text that
 * would be written for it: nothing cut, shifted or added. */
#define OWNED_MAGIC "virt-nfsroot-owned 1"
#define OWNED_SUFFIX ".owned"
#define OWNED_READ_MAX (16u * 1024)

static bool printable_line(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    if (n == 0 || n >= max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

static bool uuid_ok(const char *s)
{
    if (!s || !nfsroot_uuid_is_valid(s))
        return false;
    for (; *s; s++)
        if (isupper((unsigned char)*s))
            return false;
    return true;
}

static bool mac_ok(const char *s)
{
    if (!s || strlen(s) != 17)
        return false;
    for (size_t i = 0; i < 17; i++)
        if (i % 3 == 2 ? s[i] != ':'
                       : !(isdigit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static bool ipv4_ok(const char *s)
{
    unsigned char a[4];
    char back[INET_ADDRSTRLEN];
    return s && inet_pton(AF_INET, s, a) == 1 && inet_ntop(AF_INET, a, back, sizeof(back)) &&
           !strcmp(back, s);
}

static int bad_field(nfsroot_error *err, const char *name, const char *field, const char *v)
{
    return nfsroot_err(err, -EINVAL, name, field, NULL, 0,
                       "%s '%.80s' cannot be recorded as what virt-nfsroot made", field,
                       v ? v : "");
}

int nfsroot_owned_init(nfsroot_owned *o, const char *uuid, const char *name, nfsroot_error *err)
{
    if (!uuid_ok(uuid))
        return bad_field(err, name, "uuid", uuid);
    if (!name || !printable_line(name, sizeof(o->name)))
        return bad_field(err, NULL, "name", name);
    *o = (nfsroot_owned){ 0 };
    memcpy(o->uuid, uuid, 37);
    snprintf(o->name, sizeof(o->name), "%s", name);
    return 0;
}

int nfsroot_owned_set_pin(nfsroot_owned *o, const char *network, const char *mac, const char *ip,
                          nfsroot_error *err)
{
    if (!network || !printable_line(network, sizeof(o->pin_network)))
        return bad_field(err, o->name, "network", network);
    if (!mac_ok(mac))
        return bad_field(err, o->name, "mac", mac);
    if (!ipv4_ok(ip))
        return bad_field(err, o->name, "ip", ip);
    o->has_pin = true;
    snprintf(o->pin_network, sizeof(o->pin_network), "%s", network);
    snprintf(o->pin_mac, sizeof(o->pin_mac), "%s", mac);
    snprintf(o->pin_ip, sizeof(o->pin_ip), "%s", ip);
    return 0;
}

int nfsroot_owned_set_tree(nfsroot_owned *o, const char *path, int dir_fd, nfsroot_error *err)
{
    struct stat st;
    if (!path || !path_is_normalised_absolute(path) || !printable_line(path, sizeof(o->tree)))
        return bad_field(err, o->name, "tree", path);
    if (fstat(dir_fd, &st) < 0 || !S_ISDIR(st.st_mode))
        return nfsroot_err(err, -ENOTDIR, o->name, "tree", path, 0,
                           "the tree '%s' is not a directory", path);
    o->has_tree = true;
    snprintf(o->tree, sizeof(o->tree), "%s", path);
    o->tree_dev = (uint64_t)st.st_dev;
    o->tree_ino = (uint64_t)st.st_ino;
    return 0;
}

int nfsroot_owned_format(const nfsroot_owned *o, char **ret)
{
    char pin[512] = "", tree[NFSROOT_OWNED_PATH_MAX + 64] = "";
    if (o->has_pin)
        snprintf(pin, sizeof(pin), "pin %s %s %s\n", o->pin_mac, o->pin_ip, o->pin_network);
    if (o->has_tree)
        snprintf(tree, sizeof(tree), "tree %" PRIu64 " %" PRIu64 " %s\n", o->tree_dev, o->tree_ino,
                 o->tree);
    int n = asprintf(ret, OWNED_MAGIC "\nuuid %s\nname %s\n%s%send\n", o->uuid, o->name, pin, tree);
    return n < 0 ? -ENOMEM : 0;
}

/* The next line's value after "key ", NUL-terminated in place; NULL when the line is another. */
static char *take(char **cur, const char *key)
{
    size_t k = strlen(key);
    char *l = *cur, *nl = strchr(l, '\n');
    if (!nl || strncmp(l, key, k) || l[k] != ' ')
        return NULL;
    *nl = '\0';
    *cur = nl + 1;
    return l + k + 1;
}

static bool parse_u64(const char *s, uint64_t *ret)
{
    char *end;
    if (!isdigit((unsigned char)s[0]) || (s[0] == '0' && s[1]))
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    *ret = v;
    return errno == 0 && *end == '\0';
}

static int parse_pin(nfsroot_owned *o, char *v, nfsroot_error *err)
{
    char *ip = strchr(v, ' '), *net = ip ? strchr(ip + 1, ' ') : NULL;
    if (!net)
        return -EINVAL;
    *ip++ = '\0';
    *net++ = '\0';
    return nfsroot_owned_set_pin(o, net, v, ip, err);
}

static int parse_tree(nfsroot_owned *o, char *v, nfsroot_error *err)
{
    char *ino = strchr(v, ' '), *path = ino ? strchr(ino + 1, ' ') : NULL;
    if (!path)
        return -EINVAL;
    *ino++ = '\0';
    *path++ = '\0';
    if (!parse_u64(v, &o->tree_dev) || !parse_u64(ino, &o->tree_ino) ||
        !path_is_normalised_absolute(path) || !printable_line(path, sizeof(o->tree)))
        return bad_field(err, o->name, "tree", path);
    o->has_tree = true;
    snprintf(o->tree, sizeof(o->tree), "%s", path);
    return 0;
}

static int parse_lines(char *text, nfsroot_owned *o, nfsroot_error *err)
{
    char *cur = text, *uuid, *name, *v;
    if (strncmp(cur, OWNED_MAGIC "\n", strlen(OWNED_MAGIC) + 1))
        return -EINVAL;
    cur += strlen(OWNED_MAGIC) + 1;
    if (!(uuid = take(&cur, "uuid")) || !(name = take(&cur, "name")) ||
        nfsroot_owned_init(o, uuid, name, err) < 0)
        return -EINVAL;
    if ((v = take(&cur, "pin")) && parse_pin(o, v, err) < 0)
        return -EINVAL;
    if ((v = take(&cur, "tree")) && parse_tree(o, v, err) < 0)
        return -EINVAL;
    return strcmp(cur, "end\n") ? -EINVAL : 0;
}

int nfsroot_owned_parse(const char *text, size_t len, nfsroot_owned *ret, nfsroot_error *err)
{
    _cleanup_free_ char *copy =
        len < OWNED_READ_MAX && !memchr(text, '\0', len) ? strndup(text, len) : NULL;
    _cleanup_free_ char *back = NULL;
    nfsroot_owned o = { 0 };
    nfsroot_error ignored = { 0 };
    int r = copy ? parse_lines(copy, &o, &ignored) : -EINVAL;
    if (r == 0 && (r = nfsroot_owned_format(&o, &back)) < 0)
        return r;
    if (r < 0 || strlen(back) != len || memcmp(back, text, len))
        return nfsroot_err(err, -EBADMSG, NULL, "owned", NULL, 0,
                           "an ownership record does not read back as written: refused");
    *ret = o;
    return 0;
}

/* The directory, opened when root alone can write it (and so every record in it). */
static int open_dir(const nfsroot_policy *p, bool make, int *ret_fd, nfsroot_error *err)
{
    const char *dir = nfsroot_policy_get_owned_dir(p);
    int r = make ? mkdir_p(dir, 0700) : 0;
    if (r < 0)
        return nfsroot_err(err, r, NULL, "owned_dir", dir, 0, "cannot make '%s': %s", dir,
                           strerror(-r));
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return errno == ENOENT ? -ENOENT
                               : nfsroot_err(err, -errno, NULL, "owned_dir", dir, 0,
                                             "cannot open '%s': %s", dir, strerror(errno));
    if (fstat(fd, &st) < 0)
        return -errno;
    if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)))
        return nfsroot_err(err, -EPERM, NULL, "owned_dir", dir, 0,
                           "'%s' is owned by uid %u with mode %04o: only root may write what "
                           "delete trusts",
                           dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
    *ret_fd = TAKE_FD(fd);
    return 0;
}

static int load_at(int dfd, const char *file, nfsroot_owned *ret, nfsroot_error *err)
{
    _cleanup_close_ int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    char why[128];
    if (fd < 0)
        return -errno;
    int r = trusted_file_check(fd, why, sizeof(why));
    if (r < 0)
        return nfsroot_err(err, r, NULL, "owned", file, 0, "the ownership record '%s' %s", file,
                           why);
    if ((r = read_regular_fd(fd, OWNED_READ_MAX, &text, &len)) < 0 ||
        (r = nfsroot_owned_parse(text, len, ret, err)) < 0)
        return r == -EBADMSG ? r
                             : nfsroot_err(err, -EBADMSG, NULL, "owned", file, 0,
                                           "the ownership record '%s' cannot be read", file);
    if (strlen(file) != 36 + strlen(OWNED_SUFFIX) || strncmp(file, ret->uuid, 36))
        return nfsroot_err(err, -EBADMSG, ret->name, "owned", file, 0,
                           "the ownership record '%s' names another domain", file);
    return 0;
}

int nfsroot_owned_load(const nfsroot_policy *p, const char *uuid, nfsroot_owned *ret,
                       nfsroot_error *err)
{
    _cleanup_close_ int dfd = -1;
    char file[64];
    if (!uuid_ok(uuid))
        return -ENOENT;
    int r = open_dir(p, false, &dfd, err);
    if (r < 0)
        return r;
    snprintf(file, sizeof(file), "%s" OWNED_SUFFIX, uuid);
    nfsroot_owned o;
    if ((r = load_at(dfd, file, &o, err)) < 0)
        return r;
    *ret = o;
    return 0;
}

static bool is_record_name(const char *n)
{
    size_t l = strlen(n);
    return l > strlen(OWNED_SUFFIX) && n[0] != '.' &&
           !strcmp(n + l - strlen(OWNED_SUFFIX), OWNED_SUFFIX);
}

int nfsroot_owned_load_all(const nfsroot_policy *p, nfsroot_owned **ret, size_t *ret_n,
                           nfsroot_error *err)
{
    _cleanup_close_ int dfd = -1;
    *ret = NULL;
    *ret_n = 0;
    int r = open_dir(p, false, &dfd, err);
    if (r == -ENOENT)
        return 0;
    _cleanup_(closedirp) DIR *dir = r < 0 ? NULL : fdopendir(dup(dfd));
    if (r < 0 || !dir)
        return r < 0 ? r : -errno;
    _cleanup_free_ nfsroot_owned *v = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!is_record_name(e->d_name))
            continue;
        if (n == NFSROOT_OWNED_MAX)
            return nfsroot_err(err, -E2BIG, NULL, "owned_dir", NULL, 0,
                               "more than %d ownership records", NFSROOT_OWNED_MAX);
        nfsroot_owned *nv = realloc(v, (n + 1) * sizeof(*v));
        if (!nv)
            return -ENOMEM;
        v = nv;
        if ((r = load_at(dfd, e->d_name, &v[n], err)) < 0)
            return r;
        n++;
    }
    *ret = TAKE_PTR(v);
    *ret_n = n;
    return 0;
}

int nfsroot_owned_write(const nfsroot_policy *p, const nfsroot_owned *o, nfsroot_error *err)
{
    _cleanup_close_ int dfd = -1;
    _cleanup_free_ char *text = NULL;
    nfsroot_owned back;
    char file[64];
    int r = open_dir(p, true, &dfd, err);
    if (r < 0)
        return r == -ENOENT ? nfsroot_err(err, r, o->name, "owned_dir", NULL, 0,
                                          "the ownership directory is missing")
                            : r;
    if ((r = nfsroot_owned_format(o, &text)) < 0)
        return r;
    if (nfsroot_owned_parse(text, strlen(text), &back, err) < 0)
        return -EINVAL;
    snprintf(file, sizeof(file), "%s" OWNED_SUFFIX, o->uuid);
    const char *dir = nfsroot_policy_get_owned_dir(p);
    if ((r = write_file_atomic(dir, file, text, strlen(text), 0600)) < 0)
        return nfsroot_err(err, r, o->name, "owned", dir, 0,
                           "cannot write the ownership record in '%s': %s", dir, strerror(-r));
    return 0;
}

int nfsroot_owned_remove(const nfsroot_policy *p, const char *uuid, nfsroot_error *err)
{
    _cleanup_close_ int dfd = -1;
    char file[64];
    if (!uuid_ok(uuid))
        return 0;
    int r = open_dir(p, false, &dfd, err);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    snprintf(file, sizeof(file), "%s" OWNED_SUFFIX, uuid);
    if (unlinkat(dfd, file, 0) < 0 && errno != ENOENT)
        return nfsroot_err(err, -errno, NULL, "owned", file, 0,
                           "cannot remove the ownership record '%s': %s", file, strerror(errno));
    return 0;
}
