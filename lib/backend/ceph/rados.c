/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librados for the ceph backend, dlopen()ed when a connection opens: hosts on another backend
 * never load it (unit.hook-loads). One connection per apply or remove; the hook is short-lived.
 */
#include <dlfcn.h>
#include <rados/librados.h>
#include <sys/time.h>
#include <time.h>

#include "backend/ceph/ceph.h"

#define CEPH_LOCK_NAME "virt-nfsroot"
#define CEPH_NOTIFY_TIMEOUT_MS 10000
#define XATTR_UUID "virt-nfsroot.uuid"
#define XATTR_PATH "virt-nfsroot.path"
#define GRACE_OID "grace" /* ganesha's RADOS_KV grace_oid default */

#define RADOS_SYMS(X)                                                                              \
    X(rados_create)                                                                                \
    X(rados_conf_read_file)                                                                        \
    X(rados_conf_set)                                                                              \
    X(rados_connect)                                                                               \
    X(rados_shutdown)                                                                              \
    X(rados_ioctx_create)                                                                          \
    X(rados_ioctx_destroy)                                                                         \
    X(rados_ioctx_set_namespace)                                                                   \
    X(rados_lock_exclusive)                                                                        \
    X(rados_unlock)                                                                                \
    X(rados_stat)                                                                                  \
    X(rados_read)                                                                                  \
    X(rados_remove)                                                                                \
    X(rados_getxattr)                                                                              \
    X(rados_notify2)                                                                               \
    X(rados_buffer_free)                                                                           \
    X(rados_create_write_op)                                                                       \
    X(rados_release_write_op)                                                                      \
    X(rados_write_op_write_full)                                                                   \
    X(rados_write_op_setxattr)                                                                     \
    X(rados_write_op_operate)                                                                      \
    X(rados_create_read_op)                                                                        \
    X(rados_release_read_op)                                                                       \
    X(rados_read_op_omap_get_vals_by_keys2)                                                        \
    X(rados_read_op_omap_get_keys2)                                                                \
    X(rados_read_op_operate)                                                                       \
    X(rados_omap_get_next2)                                                                        \
    X(rados_omap_get_end)                                                                          \
    X(rados_nobjects_list_open)                                                                    \
    X(rados_nobjects_list_next)                                                                    \
    X(rados_nobjects_list_close)

struct rados_conn {
    void *handle;
#define X(sym) typeof(sym) *sym;
    RADOS_SYMS(X)
#undef X
    rados_t cluster;
    rados_ioctx_t io;
    bool connected, locked;
    char conf_oid[80];
    char cookie[64];
    const char *domain;
};

void rados_conn_close(rados_conn *c)
{
    if (!c)
        return;
    rados_conn_unlock(c);
    if (c->io)
        c->rados_ioctx_destroy(c->io);
    if (c->cluster)
        c->rados_shutdown(c->cluster);
    if (c->handle)
        dlclose(c->handle);
    free(c);
}

const char *rados_conn_conf_oid(const rados_conn *c)
{
    return c->conf_oid;
}

static int load(rados_conn *c, const char *domain, nfsroot_error *err)
{
    c->handle = dlopen(NFSROOT_LIBRADOS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!c->handle)
        return nfsroot_err(err, -ENOPKG, domain, "policy key 'backend'", NULL, 0,
                           "the ceph backend needs librados (%s): %s; install librados2",
                           NFSROOT_LIBRADOS_SONAME, dlerror());
#define X(sym)                                                                                     \
    if (!(c->sym = (typeof(c->sym))dlsym(c->handle, #sym)))                                        \
        return nfsroot_err(err, -ENOPKG, domain, "policy key 'backend'", NULL, 0,                  \
                           "librados (%s) has no '%s'", NFSROOT_LIBRADOS_SONAME, #sym);
    RADOS_SYMS(X)
#undef X
    return 0;
}

static int connect_cluster(rados_conn *c, const nfsroot_policy *p, nfsroot_error *err)
{
    int r = c->rados_create(&c->cluster, p->ceph_client_id);
    if (r == 0)
        r = c->rados_conf_read_file(c->cluster, p->ceph_conf);
    if (r < 0)
        return nfsroot_err(err, r, c->domain, "policy key 'ceph_conf'", p->ceph_conf, 0,
                           "cannot read Ceph configuration '%s' for client '%s': %s", p->ceph_conf,
                           p->ceph_client_id, strerror(-r));
    /* bounded: an unreachable cluster is an error in seconds, not librados' 5 minutes */
    c->rados_conf_set(c->cluster, "client_mount_timeout", "15");
    c->rados_conf_set(c->cluster, "rados_mon_op_timeout", "15");
    c->rados_conf_set(c->cluster, "rados_osd_op_timeout", "15");
    c->rados_conf_set(c->cluster, "log_to_stderr", "false");
    c->rados_conf_set(c->cluster, "err_to_stderr", "false");
    r = c->rados_connect(c->cluster);
    if (r < 0)
        return nfsroot_err(err, r, c->domain, "policy key 'ceph_conf'", p->ceph_conf, 0,
                           "cannot reach the Ceph cluster of '%s' as client '%s': %s", p->ceph_conf,
                           p->ceph_client_id, strerror(-r));
    r = c->rados_ioctx_create(c->cluster, p->ceph_pool, &c->io);
    if (r < 0)
        return nfsroot_err(err, r, c->domain, "policy key 'ceph_pool'", p->source, 0,
                           "Ceph pool '%s' cannot be opened: %s (create it: ceph osd pool "
                           "create %s)",
                           p->ceph_pool, strerror(-r), p->ceph_pool);
    c->rados_ioctx_set_namespace(c->io, p->ceph_namespace);
    return 0;
}

int rados_conn_open(const nfsroot_policy *p, const char *domain, rados_conn **ret,
                    nfsroot_error *err)
{
    _cleanup_(rados_conn_closep) rados_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->domain = domain;
    snprintf(c->conf_oid, sizeof(c->conf_oid), "conf-nfs.%s", p->ceph_namespace);
    char host[64] = "";
    gethostname(host, sizeof(host) - 1);
    snprintf(c->cookie, sizeof(c->cookie), "%.40s:%d", host, (int)getpid());
    int r = load(c, domain, err);
    if (r < 0)
        return r;
    r = connect_cluster(c, p, err);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(c);
    return 0;
}

int rados_conn_lock(rados_conn *c, nfsroot_error *err)
{
    struct timeval dur = { .tv_sec = CEPH_LOCK_SECONDS };
    struct timespec step = { .tv_nsec = 20 * 1000 * 1000 };
    for (unsigned i = 0; i < CEPH_LOCK_WAIT_SECONDS * 50; i++) {
        int r = c->rados_lock_exclusive(c->io, c->conf_oid, CEPH_LOCK_NAME, c->cookie,
                                        "virt-nfsroot url list", &dur, 0);
        if (r == 0) {
            c->locked = true;
            return 0;
        }
        if (r != -EBUSY && r != -EEXIST)
            return nfsroot_err(err, r, c->domain, "policy key 'ceph_namespace'", NULL, 0,
                               "cannot lock RADOS object '%s': %s", c->conf_oid, strerror(-r));
        nanosleep(&step, NULL);
    }
    return nfsroot_err(err, -ETIMEDOUT, c->domain, "policy key 'ceph_namespace'", NULL, 0,
                       "RADOS object '%s' stayed locked by another host for %d s", c->conf_oid,
                       CEPH_LOCK_WAIT_SECONDS);
}

void rados_conn_unlock(rados_conn *c)
{
    if (c->locked)
        c->rados_unlock(c->io, c->conf_oid, CEPH_LOCK_NAME, c->cookie);
    c->locked = false;
}

int rados_conn_read(rados_conn *c, const char *oid, char **ret, nfsroot_error *err)
{
    uint64_t size = 0;
    time_t mtime;
    int r = c->rados_stat(c->io, oid, &size, &mtime);
    if (r == -ENOENT)
        return r;
    if (r == 0 && size > CEPH_OBJECT_MAX)
        r = -EFBIG;
    _cleanup_free_ char *buf = r == 0 ? malloc(size + 1) : NULL;
    if (r == 0 && !buf)
        return -ENOMEM;
    if (r == 0)
        r = c->rados_read(c->io, oid, buf, size, 0);
    if (r >= 0 && (uint64_t)r != size)
        r = -EIO;
    if (r < 0)
        return nfsroot_err(err, r, c->domain, "policy key 'ceph_namespace'", NULL, 0,
                           "cannot read RADOS object '%s': %s", oid, strerror(-r));
    buf[size] = '\0';
    if (strlen(buf) != size)
        return nfsroot_err(err, -EINVAL, c->domain, "policy key 'ceph_namespace'", NULL, 0,
                           "RADOS object '%s' holds a NUL byte", oid);
    *ret = TAKE_PTR(buf);
    return 0;
}

int rados_conn_write(rados_conn *c, const char *oid, const char *text, const char *uuid,
                     const char *path, nfsroot_error *err)
{
    rados_write_op_t op = c->rados_create_write_op();
    if (!op)
        return -ENOMEM;
    c->rados_write_op_write_full(op, text, strlen(text));
    if (uuid) {
        c->rados_write_op_setxattr(op, XATTR_UUID, uuid, strlen(uuid));
        c->rados_write_op_setxattr(op, XATTR_PATH, path, strlen(path));
    }
    int r = c->rados_write_op_operate(op, c->io, oid, NULL, 0);
    c->rados_release_write_op(op);
    if (r < 0)
        return nfsroot_err(err, r, c->domain, "policy key 'ceph_namespace'", NULL, 0,
                           "cannot write RADOS object '%s': %s", oid, strerror(-r));
    return 0;
}

int rados_conn_remove(rados_conn *c, const char *oid, nfsroot_error *err)
{
    int r = c->rados_remove(c->io, oid);
    if (r < 0 && r != -ENOENT)
        return nfsroot_err(err, r, c->domain, "policy key 'ceph_namespace'", NULL, 0,
                           "cannot delete RADOS object '%s': %s", oid, strerror(-r));
    return 0;
}

/* xattr name of oid equals want? 1 yes, 0 no (or no such xattr), -ENOENT no object. */
static int xattr_is(rados_conn *c, const char *oid, const char *name, const char *want)
{
    char buf[4097];
    int r = c->rados_getxattr(c->io, oid, name, buf, sizeof(buf) - 1);
    if (r == -ENOENT)
        return -ENOENT;
    if (r == -ENODATA || r == -ERANGE)
        return 0;
    if (r < 0)
        return r;
    return (size_t)r == strlen(want) && memcmp(buf, want, (size_t)r) == 0;
}

int rados_conn_owned(rados_conn *c, const char *oid, const char *uuid, const char *path)
{
    int r = xattr_is(c, oid, XATTR_UUID, uuid);
    if (r <= 0)
        return r;
    return xattr_is(c, oid, XATTR_PATH, path);
}

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* A notify's reply: the watchers that acked (a map of (gid, cookie) to their payload) and those
 * that did not in time (a set of (gid, cookie)), each count at its head; bounded by len. */
static void reply_counts(const unsigned char *b, size_t len, unsigned *acks, unsigned *timeouts)
{
    size_t at = 4;
    *acks = len >= 4 ? le32(b) : 0;
    *timeouts = 0;
    for (unsigned i = 0; i < *acks; i++) {
        if (at + 20 > len)
            return;
        uint32_t n = le32(b + at + 16);
        if (n > len - at - 20)
            return;
        at += 20 + n;
    }
    if (at + 4 <= len)
        *timeouts = le32(b + at);
}

static int notify(rados_conn *c, const char *payload, unsigned *acks, unsigned *timeouts,
                  nfsroot_error *err)
{
    char *reply = NULL;
    size_t len = 0;
    int r = c->rados_notify2(c->io, c->conf_oid, payload, (int)strlen(payload),
                             CEPH_NOTIFY_TIMEOUT_MS, &reply, &len);
    reply_counts((const unsigned char *)reply, reply ? len : 0, acks, timeouts);
    if (reply)
        c->rados_buffer_free(reply);
    if (r < 0 && r != -ETIMEDOUT)
        return nfsroot_err(err, r, c->domain, "policy key 'ceph_namespace'", NULL, 0,
                           "cannot notify RADOS object '%s': %s", c->conf_oid, strerror(-r));
    return r == -ETIMEDOUT ? 1 : 0;
}

int rados_conn_notify(rados_conn *c, unsigned *ret_replies, nfsroot_error *err)
{
    unsigned timeouts = 0;
    return notify(c, "reload", ret_replies, &timeouts, err);
}

int rados_conn_watchers(rados_conn *c, unsigned *ret_acks, unsigned *ret_timeouts,
                        nfsroot_error *err)
{
    int r = notify(c, "doctor", ret_acks, ret_timeouts, err);
    return r < 0 ? r : 0;
}

int rados_conn_grace_member(rados_conn *c, const char *node)
{
    rados_read_op_t op = c->rados_create_read_op();
    if (!op)
        return -ENOMEM;
    const char *keys[] = { node };
    size_t lens[] = { strlen(node) };
    rados_omap_iter_t it = NULL;
    int prval = 0;
    c->rados_read_op_omap_get_vals_by_keys2(op, keys, 1, lens, &it, &prval);
    int r = c->rados_read_op_operate(op, c->io, GRACE_OID, 0);
    if (r == 0)
        r = prval;
    char *key = NULL, *val = NULL;
    size_t key_len = 0, val_len = 0;
    if (r == 0 && it)
        r = c->rados_omap_get_next2(it, &key, &val, &key_len, &val_len) < 0 ? -EIO : key != NULL;
    if (it)
        c->rados_omap_get_end(it);
    c->rados_release_read_op(op);
    return r;
}

/* One grace database key into out (", " between), '?' for what no node id holds. */
static void member_add(char *out, size_t len, const char *key, size_t key_len)
{
    size_t n = strlen(out);
    if (n && n + 2 < len) {
        memcpy(out + n, ", ", 3);
        n += 2;
    }
    for (size_t i = 0; i < key_len && i < CEPH_NODE_ID_MAX && n + 1 < len; i++)
        out[n++] = key[i] > 0x20 && key[i] < 0x7f ? key[i] : '?';
    out[n] = '\0';
}

int rados_conn_grace_members(rados_conn *c, char *out, size_t len, size_t *ret_n)
{
    rados_read_op_t op = c->rados_create_read_op();
    if (!op)
        return -ENOMEM;
    rados_omap_iter_t it = NULL;
    unsigned char more = 0;
    int prval = 0;
    c->rados_read_op_omap_get_keys2(op, "", CEPH_GRACE_MEMBERS_MAX, &it, &more, &prval);
    int r = c->rados_read_op_operate(op, c->io, GRACE_OID, 0);
    if (r == 0)
        r = prval;
    out[0] = '\0';
    *ret_n = 0;
    while (r == 0 && it) {
        char *key = NULL, *val = NULL;
        size_t key_len = 0, val_len = 0;
        if (c->rados_omap_get_next2(it, &key, &val, &key_len, &val_len) < 0)
            r = -EIO;
        if (r < 0 || !key)
            break;
        member_add(out, len, key, key_len);
        (*ret_n)++;
    }
    if (it)
        c->rados_omap_get_end(it);
    c->rados_release_read_op(op);
    return r;
}

int rados_conn_export_ids(rados_conn *c, uint16_t *ret, size_t max, size_t *ret_n,
                          nfsroot_error *err)
{
    rados_list_ctx_t ctx = NULL;
    int r = c->rados_nobjects_list_open(c->io, &ctx);
    const char *entry = NULL;
    size_t n = 0;
    while (r == 0 && (r = c->rados_nobjects_list_next(ctx, &entry, NULL, NULL)) == 0) {
        unsigned id;
        char rest;
        if (sscanf(entry, "export-%5u%c", &id, &rest) != 1 || id == 0 || id > UINT16_MAX)
            continue;
        char canon[32];
        snprintf(canon, sizeof(canon), "export-%u", id);
        if (strcmp(canon, entry))
            continue; /* export-01 and the like: no id of ours */
        if (n == max) {
            r = -E2BIG;
            break;
        }
        ret[n++] = (uint16_t)id;
    }
    if (ctx)
        c->rados_nobjects_list_close(ctx);
    if (r < 0 && r != -ENOENT)
        return nfsroot_err(err, r, c->domain, "policy key 'ceph_namespace'", NULL, 0,
                           "cannot list the export objects in the Ceph cluster: %s", strerror(-r));
    *ret_n = n;
    return 0;
}

int rados_conn_owner(rados_conn *c, const char *oid, char uuid[static 37])
{
    char buf[37];
    int r = c->rados_getxattr(c->io, oid, XATTR_UUID, buf, sizeof(buf) - 1);
    if (r < 0)
        return r == -ENODATA || r == -ERANGE ? -ENODATA : r;
    buf[r] = '\0';
    if (!nfsroot_uuid_is_valid(buf))
        return -ENODATA;
    memcpy(uuid, buf, 37);
    return 0;
}
