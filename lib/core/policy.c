/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "backend/backend.h"
#include "core.h"

#define DEFAULT_OPTIONS "rw,async,no_root_squash,insecure,no_subtree_check"
/* What a domain may ask for by default: access, sync, squashing, ports, checks, security. */
#define DEFAULT_ALLOWED                                                                            \
    "ro,rw,sync,async,root_squash,no_root_squash,all_squash,no_all_squash,secure,insecure,"        \
    "wdelay,no_wdelay,subtree_check,no_subtree_check,sec,anonuid,anongid,anonuser,anongroup"

const char *nfsroot_policy_default_path(void)
{
    return NFSROOT_CONFIG_PATH;
}

int nfsroot_policy_new_default(nfsroot_policy **ret, nfsroot_error *err)
{
    _cleanup_(nfsroot_policy_freep) nfsroot_policy *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->export_roots = strv_split("/export", ",");
    p->boot_dirs = strv_split("/var/lib/libvirt/boot", ",");
    p->default_options = strdup(DEFAULT_OPTIONS);
    p->allowed_options = strv_split(DEFAULT_ALLOWED, ",");
    p->allow_subnet_fallback = true;
    p->exports_dir = strdup("/etc/exports.d");
    p->state_dir = strdup(NFSROOT_STATE_DIR);
    p->owned_dir = strdup(NFSROOT_OWNED_DIR);
    p->exportfs = strdup("/usr/sbin/exportfs");
    p->etab = strdup("/var/lib/nfs/etab");
    p->network_dir = strdup("/run/libvirt/network");
    p->sysfs_net_dir = strdup("/sys/class/net");
    p->ganesha_exports_dir = strdup("/run/ganesha/virt-nfsroot.d");
    p->ganesha_conf = strdup("/etc/ganesha/ganesha.conf");
    p->ganesha_export_id_min = 20000;
    p->ganesha_export_id_max = 29999;
    snprintf(p->ceph_conf, sizeof(p->ceph_conf), "/etc/ceph/ceph.conf");
    snprintf(p->ceph_client_id, sizeof(p->ceph_client_id), "admin");
    snprintf(p->ceph_pool, sizeof(p->ceph_pool), ".nfs");
    snprintf(p->ceph_namespace, sizeof(p->ceph_namespace), "virt-nfsroot");
    if (!p->export_roots || !p->boot_dirs || !p->default_options || !p->allowed_options ||
        !p->exports_dir || !p->state_dir || !p->exportfs || !p->etab || !p->network_dir ||
        !p->sysfs_net_dir || !p->ganesha_exports_dir || !p->ganesha_conf || !p->owned_dir)
        return nfsroot_err(err, -ENOMEM, NULL, NULL, NULL, 0, "out of memory");
    *ret = TAKE_PTR(p);
    return 0;
}

typedef struct parse_ctx {
    const char *file;
    int line;
    const char *key;
    nfsroot_error *err;
} parse_ctx;

/* Replace *dst by a copy of v (NULL stays NULL). */
static int dup_str(char **dst, const char *v)
{
    char *c = NULL;
    if (v && !(c = strdup(v)))
        return -ENOMEM;
    free(*dst);
    *dst = c;
    return 0;
}

static int bad(const parse_ctx *c, const char *fmt, ...) _printf_(2, 3);
static int bad(const parse_ctx *c, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return nfsroot_err(c->err, -EINVAL, NULL, c->key, c->file, c->line,
                       "policy '%s' line %d: key '%s': %s", c->file, c->line, c->key, why);
}

static int set_string(const parse_ctx *c, void *dst, const char *v)
{
    return dup_str(dst, v);
}

static int set_path(const parse_ctx *c, void *dst, const char *v)
{
    if (!path_is_normalised_absolute(v))
        return bad(c, "'%s' is not a normalised absolute path", v);
    return dup_str(dst, v);
}

static int set_bool(const parse_ctx *c, void *dst, const char *v)
{
    bool *b = dst;
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
        *b = true;
    else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
        *b = false;
    else
        return bad(c, "'%s' is not yes or no", v);
    return 0;
}

/* A list of directories, each absolute, normalised and not '/' (export_roots needs one at
 * least; boot_dirs may be empty: boot files then lie in the export only). */
static int set_dirs(const parse_ctx *c, char ***dst, const char *v, bool need_one)
{
    _cleanup_strv_free_ char **dirs = strv_split(v, ", ");
    if (!dirs)
        return -ENOMEM;
    if (need_one && !dirs[0])
        return bad(c, "at least one export root is needed");
    for (char **d = dirs; *d; d++)
        if (!path_is_normalised_absolute(*d) || strcmp(*d, "/") == 0)
            return bad(c, "'%s' is not a normalised absolute path below '/'", *d);
    strv_free(*dst);
    *dst = TAKE_PTR(dirs);
    return 0;
}

static int set_export_roots(const parse_ctx *c, void *dst, const char *v)
{
    return set_dirs(c, dst, v, true);
}

static int set_boot_dirs(const parse_ctx *c, void *dst, const char *v)
{
    return set_dirs(c, dst, v, false);
}

static int set_optlist(const parse_ctx *c, void *dst, const char *v)
{
    _cleanup_strv_free_ char **l = strv_split(v, ", ");
    if (!l)
        return -ENOMEM;
    for (char **o = l; *o; o++)
        for (const char *q = *o; *q; q++)
            if (!islower((unsigned char)*q) && *q != '_')
                return bad(c, "option name '%s' must be lower-case letters and '_'", *o);
    char ***list = dst;
    strv_free(*list);
    *list = TAKE_PTR(l);
    return 0;
}

/* dst: the whole policy (the range sets two fields). */
static int set_id_range(const parse_ctx *c, void *dst, const char *v)
{
    nfsroot_policy *p = dst;
    unsigned lo, hi;
    char tail;
    if (sscanf(v, "%u-%u%c", &lo, &hi, &tail) != 2 || lo < 1 || hi > 65535 || lo > hi)
        return bad(c, "'%s' is not a range like 20000-29999 within 1-65535", v);
    p->ganesha_export_id_min = (uint16_t)lo;
    p->ganesha_export_id_max = (uint16_t)hi;
    return 0;
}

/* What claims on shared storage name this host by: every host sharing it needs its own. */
static int set_host_id(const parse_ctx *c, void *dst, const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > 64 ||
        strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") != n)
        return bad(c, "'%s' is not 1-64 letters, digits, '.', '_', ':' or '-'", v);
    return dup_str(dst, v);
}

/* A Ceph name (client id, pool, namespace, node): 1-64 of [A-Za-z0-9._-], into dst[65]. */
static int set_ceph_name(const parse_ctx *c, void *dst, const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > 64 ||
        strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
        return bad(c, "'%s' is not 1-64 letters, digits, '.', '_' or '-'", v);
    memcpy(dst, v, n + 1);
    return 0;
}

/* dst: the whole policy (ceph_conf is a fixed-size field). */
static int set_ceph_conf(const parse_ctx *c, void *dst, const char *v)
{
    nfsroot_policy *p = dst;
    if (!path_is_normalised_absolute(v) || strlen(v) >= sizeof(p->ceph_conf))
        return bad(c, "'%s' is not a normalised absolute path under 256 bytes", v);
    snprintf(p->ceph_conf, sizeof(p->ceph_conf), "%s", v);
    return 0;
}

static int set_backend(const parse_ctx *c, void *dst, const char *v)
{
    if (nfsroot_backend_kind_from_string(v, dst) < 0) {
        char names[128];
        nfsroot_backend_names(names, sizeof(names));
        return bad(c, "'%s' is not a backend (%s)", v, names);
    }
    return 0;
}

static int set_validate(const parse_ctx *c, void *dst, const char *v)
{
    nfsroot_validate_mode *m = dst;
    if (!strcmp(v, "strict"))
        *m = NFSROOT_VALIDATE_STRICT;
    else if (!strcmp(v, "warn"))
        *m = NFSROOT_VALIDATE_WARN;
    else if (!strcmp(v, "off"))
        *m = NFSROOT_VALIDATE_OFF;
    else
        return bad(c, "'%s' is not 'strict', 'warn' or 'off'", v);
    return 0;
}

/* Every key of the policy file: its name (the field's), where its value goes, what that field
 * holds and how the value is read. Loading, freeing and copying a policy all walk this list. */
typedef enum key_holds {
    HOLDS_VALUE,  /* a scalar or a fixed-size array: copied with the struct */
    HOLDS_STRING, /* char *, owned */
    HOLDS_STRV,   /* char **, NULL-terminated, owned */
} key_holds;

typedef struct policy_key {
    const char *key;
    size_t off; /* 0 with the setters that take the whole policy */
    key_holds holds;
    int (*set)(const parse_ctx *c, void *dst, const char *v);
} policy_key;

/* clang-format off */
#define KEY(field, holds, set) { #field, offsetof(nfsroot_policy, field), holds, set }
/* clang-format on */
static const policy_key policy_keys[] = {
    KEY(export_roots, HOLDS_STRV, set_export_roots),
    KEY(boot_dirs, HOLDS_STRV, set_boot_dirs),
    KEY(default_options, HOLDS_STRING, set_string),
    KEY(allowed_options, HOLDS_STRV, set_optlist),
    KEY(allow_wider_clients, HOLDS_VALUE, set_bool),
    KEY(allow_shared_rw, HOLDS_VALUE, set_bool),
    KEY(allow_subnet_fallback, HOLDS_VALUE, set_bool),
    KEY(ganesha_nfsv3, HOLDS_VALUE, set_bool),
    KEY(migration, HOLDS_VALUE, set_bool),
    KEY(backend, HOLDS_VALUE, set_backend),
    KEY(validate, HOLDS_VALUE, set_validate),
    { "ganesha_export_ids", 0, HOLDS_VALUE, set_id_range },
    KEY(ganesha_bus, HOLDS_STRING, set_string),
    KEY(host_id, HOLDS_STRING, set_host_id),
    KEY(exports_dir, HOLDS_STRING, set_path),
    KEY(state_dir, HOLDS_STRING, set_path),
    KEY(exportfs, HOLDS_STRING, set_path),
    KEY(etab, HOLDS_STRING, set_path),
    KEY(network_dir, HOLDS_STRING, set_path),
    KEY(sysfs_net_dir, HOLDS_STRING, set_path),
    KEY(idmapd_conf, HOLDS_STRING, set_path),
    KEY(qemu_conf, HOLDS_STRING, set_path),
    KEY(ganesha_exports_dir, HOLDS_STRING, set_path),
    KEY(ganesha_conf, HOLDS_STRING, set_path),
    KEY(owned_dir, HOLDS_STRING, set_path),
    { "ceph_conf", 0, HOLDS_VALUE, set_ceph_conf },
    KEY(ceph_client_id, HOLDS_VALUE, set_ceph_name),
    KEY(ceph_pool, HOLDS_VALUE, set_ceph_name),
    KEY(ceph_namespace, HOLDS_VALUE, set_ceph_name),
    KEY(ceph_node_id, HOLDS_VALUE, set_ceph_name),
};

/* Where key k's value lies in p. */
static void *key_field(const nfsroot_policy *p, const policy_key *k)
{
    return (char *)(uintptr_t)p + k->off;
}

static int apply_key(const parse_ctx *c, nfsroot_policy *p, const char *k, const char *v)
{
    for (size_t i = 0; i < ELEMENTSOF(policy_keys); i++)
        if (!strcmp(k, policy_keys[i].key))
            return policy_keys[i].set(c, key_field(p, &policy_keys[i]), v);
    return nfsroot_err(c->err, -EINVAL, NULL, k, c->file, c->line,
                       "policy '%s' line %d: unknown key '%s'", c->file, c->line, k);
}

/* Parse "key = value" lines; '#' starts a comment line; every key at most once. */
static int parse_text(nfsroot_policy *p, const char *file, char *text, nfsroot_error *err)
{
    parse_ctx c = { .file = file, .err = err };
    _cleanup_strv_free_ char **seen = calloc(1, sizeof(char *));
    if (!seen)
        return -ENOMEM;
    int lineno = 0;
    for (char *next = text; next; lineno++) {
        char *line = next;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        c.line = lineno + 1;
        line = strstrip(line);
        if (!*line || *line == '#')
            continue;
        char *eq = strchr(line, '=');
        if (!eq)
            return nfsroot_err(err, -EINVAL, NULL, NULL, file, c.line,
                               "policy '%s' line %d: expected 'key = value'", file, c.line);
        *eq = '\0';
        char *k = strstrip(line), *v = strstrip(eq + 1);
        c.key = k;
        if (strv_contains(seen, k))
            return nfsroot_err(err, -EINVAL, NULL, k, file, c.line,
                               "policy '%s' line %d: key '%s' is set twice", file, c.line, k);
        if (strv_push(&seen, k) < 0)
            return -ENOMEM;
        int r = apply_key(&c, p, k, v);
        if (r < 0)
            return r;
    }
    return 0;
}

int nfsroot_policy_load(const char *path, nfsroot_policy **ret, nfsroot_error *err)
{
    bool explicit_path = path != NULL;
    if (!path) {
        path = secure_getenv("VIRT_NFSROOT_CONFIG");
        explicit_path = path != NULL;
    }
    if (!path)
        path = NFSROOT_CONFIG_PATH;

    _cleanup_(nfsroot_policy_freep) nfsroot_policy *p = NULL;
    int r = nfsroot_policy_new_default(&p, err);
    if (r < 0)
        return r;
    /* O_NONBLOCK: a FIFO in its place must not hang the hook; it is then refused below. */
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT && !explicit_path) {
        *ret = TAKE_PTR(p);
        return 0;
    }
    r = fd < 0 ? -errno : 0;
    /* Checked on the fd read: whoever can change the policy decides what root exports. */
    char why[128];
    if (r == 0 && (r = trusted_file_check(fd, why, sizeof(why))) == -EPERM)
        return nfsroot_err(err, r, NULL, "policy", path, 0,
                           "policy '%s' %s: it must be a regular file owned by root and not "
                           "writable by group or others (chown root:root %s; chmod go-w %s)",
                           path, why, path, path);
    _cleanup_free_ char *text = NULL;
    if (r == 0)
        r = read_fd_all(fd, 1024 * 1024, &text, NULL);
    if (r < 0)
        return nfsroot_err(err, r, NULL, "policy", path, 0, "cannot read policy '%s': %s", path,
                           strerror(-r));
    p->source = strdup(path);
    r = parse_text(p, path, text, err);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(p);
    return 0;
}

DEFINE_ACCESSOR(nfsroot_backend_kind, nfsroot_policy_get_backend, nfsroot_policy, x->backend)
DEFINE_ACCESSOR(nfsroot_validate_mode, nfsroot_policy_get_validate, nfsroot_policy, x->validate)
DEFINE_ACCESSOR(bool, nfsroot_policy_get_migration, nfsroot_policy, x->migration)
DEFINE_ACCESSOR(const char *, nfsroot_policy_get_source, nfsroot_policy, x->source)
DEFINE_ACCESSOR(const char *const *, nfsroot_policy_get_export_roots, nfsroot_policy,
                (const char *const *)x->export_roots)
DEFINE_ACCESSOR(const char *const *, nfsroot_policy_get_boot_dirs, nfsroot_policy,
                (const char *const *)x->boot_dirs)
DEFINE_ACCESSOR(const char *, nfsroot_policy_get_state_dir, nfsroot_policy, x->state_dir)
DEFINE_ACCESSOR(const char *, nfsroot_policy_get_owned_dir, nfsroot_policy, x->owned_dir)
DEFINE_ACCESSOR(const char *, nfsroot_policy_get_exports_dir, nfsroot_policy, x->exports_dir)
DEFINE_ACCESSOR(const char *, nfsroot_policy_get_network_dir, nfsroot_policy, x->network_dir)

static int dup_strv(char ***dst, char *const *v)
{
    char **c = NULL;
    if (v && !(c = strv_copy(v)))
        return -ENOMEM;
    *dst = c;
    return 0;
}

void nfsroot_policy_free(nfsroot_policy *p)
{
    if (!p)
        return;
    for (const policy_key *k = policy_keys; k < policy_keys + ELEMENTSOF(policy_keys); k++) {
        if (k->holds == HOLDS_STRING)
            free(*(char **)key_field(p, k));
        else if (k->holds == HOLDS_STRV)
            strv_free(*(char ***)key_field(p, k));
    }
    free(p->source);
    free(p);
}

int nfsroot_policy_dup(const nfsroot_policy *p, nfsroot_policy **ret)
{
    _cleanup_(nfsroot_policy_freep) nfsroot_policy *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    /* Scalars by value; every pointer copied, so c never shares p's memory. */
    *c = *p;
    c->source = NULL;
    for (const policy_key *k = policy_keys; k < policy_keys + ELEMENTSOF(policy_keys); k++)
        if (k->holds != HOLDS_VALUE)
            memset(key_field(c, k), 0, sizeof(void *));
    if (dup_str(&c->source, p->source) < 0)
        return -ENOMEM;
    for (const policy_key *k = policy_keys; k < policy_keys + ELEMENTSOF(policy_keys); k++) {
        void *dst = key_field(c, k);
        if ((k->holds == HOLDS_STRING && dup_str(dst, *(char **)key_field(p, k)) < 0) ||
            (k->holds == HOLDS_STRV && dup_strv(dst, *(char ***)key_field(p, k)) < 0))
            return -ENOMEM;
    }
    *ret = TAKE_PTR(c);
    return 0;
}

void nfsroot_policy_set_backend(nfsroot_policy *p, nfsroot_backend_kind backend)
{
    p->backend = backend;
}

void nfsroot_policy_set_validate(nfsroot_policy *p, nfsroot_validate_mode mode)
{
    p->validate = mode;
}

int nfsroot_policy_set_state_dir(nfsroot_policy *p, const char *value)
{
    return dup_str(&p->state_dir, value);
}

int nfsroot_policy_set_source(nfsroot_policy *p, const char *value)
{
    return dup_str(&p->source, value);
}
