/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Ceph backend: guest roots on CephFS, served by every NFS-Ganesha node of one cluster whose
 * exports live in RADOS (the Ceph mgr `nfs` module's layout, ceph.h).
 *
 * apply, under the exclusive RADOS lock on conf-nfs.<cluster> (so two hosts starting guests at
 * once lose no line): each export's id (ours when an export object among its derived candidates
 * carries our xattrs for this domain and path, else the first candidate no object and no url
 * line holds: every host derives the same ones, and the policy's range keeps them away from the
 * mgr module's lowest-free ids), then export-<id> with our xattrs, then the url list, then a
 * notify, and only then the objects of exports that went. A url naming a missing object makes
 * ganesha throw a whole reload away, hence that order. remove: the url lines of what carries
 * this domain's xattrs, notify, then the objects: exactly what is ours, verified.
 * Before any of it, under the same lock, the claims of the read-write exports (claims.c): a
 * second host's prepare of a claimed root is refused; a release on a migration's source only
 * leaves the claim to the destination, and the exports the guest still uses stay.
 */
#include <syslog.h>

#include "backend/ceph/ceph.h"
#include "backend/ganesha/ganesha.h"
#include "fault.h"

#define CEPH_MGR_IDS_BELOW 1000
#define CEPH_URLS_MAX 65536

int ceph_check_policy(const nfsroot_policy *p, const char *domain, nfsroot_error *err)
{
    if (p->ganesha_export_id_min < CEPH_MGR_IDS_BELOW ||
        p->ganesha_export_id_min > p->ganesha_export_id_max)
        return nfsroot_err(err, -EINVAL, domain, "policy key 'ganesha_export_ids'", p->source, 0,
                           "policy key 'ganesha_export_ids' is '%u-%u'; the ceph backend needs "
                           "a range from %u up (the Ceph mgr nfs module takes the lowest free "
                           "ids)",
                           p->ganesha_export_id_min, p->ganesha_export_id_max, CEPH_MGR_IDS_BELOW);
    return 0;
}

static bool in(const uint16_t *v, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == id)
            return true;
    return false;
}

int ceph_find_id(rados_conn *c, const nfsroot_policy *p, const nfsroot_plan *plan,
                 const nfsroot_export *e, const char *urls, const uint16_t *taken, size_t n_taken,
                 bool allocate, uint16_t *ret, nfsroot_error *err)
{
    uint16_t free_id = 0;
    for (unsigned a = 0; a < ID_DERIVE_ATTEMPTS; a++) {
        uint16_t id = id_derive_one(p, plan->uuid, e->path, a);
        /* past the first free candidate only listed ones can be ours (one OSD op each) */
        if (in(taken, n_taken, id) || (free_id && !ceph_urls_has(urls, p, id)))
            continue;
        char oid[32];
        ceph_export_oid(id, oid, sizeof(oid));
        int r = rados_conn_owned(c, oid, plan->uuid, e->path);
        if (r == 1) {
            *ret = id;
            return 0;
        }
        if (r == -ENOENT && !free_id && !ceph_urls_has(urls, p, id))
            free_id = id;
        else if (r < 0 && r != -ENOENT)
            return nfsroot_err(err, r, plan->domain, "policy key 'ceph_namespace'", NULL, 0,
                               "cannot read RADOS object '%s': %s", oid, strerror(-r));
    }
    if (!allocate)
        return -ENOENT;
    if (!free_id)
        return nfsroot_err(err, -ENOSPC, plan->domain, "policy key 'ganesha_export_ids'", p->source,
                           0,
                           "every export id derived for '%s' in '%u-%u' is taken in the Ceph "
                           "cluster; widen policy key 'ganesha_export_ids' on every host",
                           e->path, p->ganesha_export_id_min, p->ganesha_export_id_max);
    *ret = free_id;
    return 0;
}

static bool plan_has_path(const nfsroot_plan *plan, const char *path)
{
    for (size_t i = 0; plan && i < plan->n_exports; i++)
        if (strcmp(plan->exports[i].path, path) == 0)
            return true;
    return false;
}

/* This host's claim id into me (unless NULL), then open, lock and read the url list ("" when
 * the object is absent). */
static int begin(const nfsroot_policy *p, const nfsroot_plan *plan, char *me, rados_conn **ret_c,
                 char **ret_urls, nfsroot_error *err)
{
    int r = me ? ceph_claim_me(p, me, err) : 0;
    if (r == 0)
        r = ceph_check_policy(p, plan->domain, err);
    if (r == 0)
        r = rados_conn_open(p, plan->domain, ret_c, err);
    if (r == 0)
        r = rados_conn_lock(*ret_c, err);
    if (r == 0)
        r = rados_conn_read(*ret_c, rados_conn_conf_oid(*ret_c), ret_urls, err);
    if (r == -ENOENT && !(*ret_urls = strdup("")))
        return -ENOMEM;
    return r == -ENOENT ? 0 : r;
}

/* The url list edited, notified, then the objects of del removed. */
static int commit(rados_conn *c, const nfsroot_policy *p, const nfsroot_plan *plan,
                  const char *urls, const uint16_t *add, size_t n_add, const uint16_t *del,
                  size_t n_del, const nfsroot_log *log, nfsroot_error *err)
{
    _cleanup_free_ char *text = NULL;
    int r = ceph_urls_edit(urls, p, add, n_add, del, n_del, &text);
    if (r < 0)
        return r;
    if (strcmp(text, urls) != 0) {
        r = rados_conn_write(c, rados_conn_conf_oid(c), text, NULL, NULL, err);
        if (r < 0)
            return r;
        NFSROOT_FAULT_POINT("ceph-listed");
    }
    unsigned replies = 0;
    r = rados_conn_notify(c, &replies, err);
    if (r < 0)
        return r;
    nfsroot_logf(log, r ? LOG_WARNING : LOG_INFO,
                 "ceph: %zu export(s) listed, %zu removed; %u ganesha node(s) answered the "
                 "notify%s",
                 n_add, n_del, replies, r ? " (some did not within 10 s)" : "");
    for (size_t i = 0; i < n_del; i++) {
        char oid[32];
        ceph_export_oid(del[i], oid, sizeof(oid));
        r = rados_conn_remove(c, oid, err);
        if (r < 0)
            return r;
    }
    (void)plan;
    return 0;
}

static int ceph_apply(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_plan *old,
                      const nfsroot_peers *peers, const nfsroot_log *log, nfsroot_error *err)
{
    (void)peers;
    _cleanup_(rados_conn_closep) rados_conn *c = NULL;
    _cleanup_free_ char *urls = NULL;
    char me[CEPH_HOST_MAX];
    int r = begin(p, plan, me, &c, &urls, err);
    if (r == 0)
        r = ceph_claims_take(c, p, plan, me, log, err);
    if (r < 0)
        return r;
    size_t n_old = old ? old->n_exports : 0;
    _cleanup_free_ uint16_t *add = calloc(plan->n_exports + 1, sizeof(*add));
    _cleanup_free_ uint16_t *del = calloc(n_old + 1, sizeof(*del));
    if (!add || !del)
        return -ENOMEM;
    for (size_t i = 0; i < plan->n_exports; i++) {
        const nfsroot_export *e = &plan->exports[i];
        _cleanup_free_ char *block = NULL;
        char oid[32];
        r = ceph_find_id(c, p, plan, e, urls, add, i, true, &add[i], err);
        if (r == 0)
            r = ceph_format_export(p, plan, e, add[i], &block, err);
        ceph_export_oid(add[i], oid, sizeof(oid));
        if (r == 0)
            r = rados_conn_write(c, oid, block, plan->uuid, e->path, err);
        if (r < 0)
            return r;
        NFSROOT_FAULT_POINT("ceph-object-written");
    }
    size_t n_del = 0;
    for (size_t i = 0; i < n_old; i++) {
        const nfsroot_export *e = &old->exports[i];
        if (plan_has_path(plan, e->path))
            continue;
        r = ceph_find_id(c, p, old, e, urls, add, plan->n_exports, false, &del[n_del], err);
        if (r == 0)
            n_del++;
        else if (r != -ENOENT)
            return r;
    }
    r = commit(c, p, plan, urls, add, plan->n_exports, del, n_del, log, err);
    return r < 0 || !old ? r : ceph_claims_drop(c, old, plan, me, err);
}

/* A release here while the domain runs on another host (a migration's source, the exports
 * stay): this host's ganesha node still holds the guest's old NFSv4 state, its opens and through
 * them its CephFS client's caps, until the lease runs out; the guest's OPENs on the destination
 * wait for the MDS to take those caps back, one per MDS tick (5 s): 11-17 s in all. The guest
 * has left this host (its QEMU here ended), so unexporting on this node alone drops only that
 * stale state, at once; the notify after it (under the same lock) has every node reread the
 * list, which serves the export here again. Best effort: a node not reached leaves the wait. */
static void drop_node_state(rados_conn *c, const nfsroot_policy *p, const nfsroot_plan *plan,
                            const char *urls, const nfsroot_log *log)
{
    nfsroot_error e = { 0 };
    _cleanup_(bus_closep) bus *b = NULL;
    int r = bus_open(p, plan->domain, &b, &e);
    for (size_t i = 0; r == 0 && i < plan->n_exports; i++) {
        uint16_t id = 0;
        bool not_running = false;
        if (ceph_find_id(c, p, plan, &plan->exports[i], urls, NULL, 0, false, &id, &e) != 0)
            continue;
        r = bus_remove_export(b, id, &not_running, &e);
        if (r == 0 && !not_running)
            nfsroot_logf(log, LOG_INFO,
                         "ceph: Export_Id %u unexported on this node: the guest's state here "
                         "dropped",
                         id);
    }
    unsigned replies = 0;
    if (r == 0)
        r = rados_conn_notify(c, &replies, &e);
    if (r < 0)
        nfsroot_logf(log, LOG_WARNING,
                     "ceph: domain '%s': this node keeps the guest's old state until its lease "
                     "ends: %s",
                     plan->domain, e.message);
}

static int ceph_remove(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_log *log,
                       nfsroot_error *err)
{
    _cleanup_(rados_conn_closep) rados_conn *c = NULL;
    _cleanup_free_ char *urls = NULL;
    char me[CEPH_HOST_MAX];
    bool away = false;
    int r = begin(p, plan, me, &c, &urls, err);
    if (r == 0)
        r = ceph_claims_handover(c, plan, me, log, &away, err);
    if (r == 0 && away)
        drop_node_state(c, p, plan, urls, log);
    if (r < 0 || away)
        return r; /* it runs on another host of the cluster, through these same exports */
    _cleanup_free_ uint16_t *del = calloc(plan->n_exports + 1, sizeof(*del));
    if (!del)
        return -ENOMEM;
    size_t n_del = 0;
    for (size_t i = 0; i < plan->n_exports; i++) {
        r = ceph_find_id(c, p, plan, &plan->exports[i], urls, del, n_del, false, &del[n_del], err);
        if (r == 0)
            n_del++;
        else if (r != -ENOENT)
            return r;
    }
    r = commit(c, p, plan, urls, NULL, 0, del, n_del, log, err);
    return r < 0 ? r : ceph_claims_drop(c, plan, NULL, me, err);
}

/* `migrate begin` here: the source runs the domain through exports of this same cluster, so
 * they must exist now, be this domain's and be listed, and its claims be held for it (by the
 * source, which the claims then name this host as the destination of). */
static int ceph_check_incoming(const nfsroot_policy *p, const nfsroot_plan *plan,
                               const nfsroot_peers *peers, nfsroot_error *err)
{
    (void)peers;
    _cleanup_(rados_conn_closep) rados_conn *c = NULL;
    _cleanup_free_ char *urls = NULL;
    char me[CEPH_HOST_MAX];
    int r = begin(p, plan, me, &c, &urls, err);
    for (size_t i = 0; r == 0 && i < plan->n_exports; i++) {
        const nfsroot_export *e = &plan->exports[i];
        uint16_t id = 0;
        r = ceph_find_id(c, p, plan, e, urls, NULL, 0, false, &id, err);
        if (r == 0 && !ceph_urls_has(urls, p, id))
            r = -ENOENT;
        if (r == -ENOENT)
            return nfsroot_err(err, r, plan->domain, "export path", e->path, 0,
                               "export path '%s' of domain '%s' is not exported in the Ceph "
                               "cluster (pool '%s', namespace '%s'): the source host does not "
                               "run the domain with backend = ceph",
                               e->path, plan->domain, p->ceph_pool, p->ceph_namespace);
    }
    return r < 0 ? r : ceph_claims_expect(c, p, plan, me, err);
}

static int ceph_has(const nfsroot_policy *p, const char *path, const char *client, bool *ret,
                    nfsroot_error *err)
{
    _cleanup_(rados_conn_closep) rados_conn *c = NULL;
    _cleanup_free_ char *urls = NULL;
    *ret = false;
    int r = rados_conn_open(p, NULL, &c, err);
    if (r == 0)
        r = rados_conn_read(c, rados_conn_conf_oid(c), &urls, err);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    _cleanup_free_ uint16_t *ids = calloc(CEPH_URLS_MAX, sizeof(*ids));
    if (!ids)
        return -ENOMEM;
    size_t n = ceph_urls_ids(urls, p, ids, CEPH_URLS_MAX);
    for (size_t i = 0; i < n && !*ret; i++) {
        _cleanup_free_ char *block = NULL;
        char oid[32];
        ceph_export_oid(ids[i], oid, sizeof(oid));
        r = rados_conn_read(c, oid, &block, err);
        if (r == -ENOENT)
            continue;
        if (r < 0)
            return r;
        *ret = ceph_export_pseudo_is(block, path) && ceph_export_has_client(block, client);
    }
    return 0;
}

/* ---- Orphans: export objects of ours that nothing lists ---------------------------------- */

/* Under the lock no prepare lies between its object and its url line, so an export-<id> from
 * 1000 up with our xattrs that the list does not name is what a prepare killed there left (or
 * a release killed after its list): never served, and no record of this host owns its uuid. A
 * listed one is never an orphan here: another host may run it. The mgr module's (ids below
 * 1000, no xattrs) are never touched. fn: called with each such object's id and uuid. */
static int each_unlisted(const nfsroot_policy *p,
                         int (*fn)(rados_conn *c, uint16_t id, const char *uuid, void *data),
                         void *data, nfsroot_error *err)
{
    if (p->backend != NFSROOT_BACKEND_CEPH)
        return 0; /* a host on another backend never loads librados */
    _cleanup_(rados_conn_closep) rados_conn *c = NULL;
    _cleanup_free_ char *urls = NULL;
    _cleanup_free_ uint16_t *ids = calloc(CEPH_URLS_MAX, sizeof(*ids));
    size_t n = 0;
    if (!ids)
        return -ENOMEM;
    nfsroot_plan none = { 0 }; /* no domain: errors name none */
    int r = begin(p, &none, NULL, &c, &urls, err);
    if (r == 0)
        r = rados_conn_export_ids(c, ids, CEPH_URLS_MAX, &n, err);
    for (size_t i = 0; r == 0 && i < n; i++) {
        char oid[32], uuid[37];
        if (ids[i] < CEPH_MGR_IDS_BELOW || ceph_urls_has(urls, p, ids[i]))
            continue;
        ceph_export_oid(ids[i], oid, sizeof(oid));
        if (rados_conn_owner(c, oid, uuid) == 0)
            r = fn(c, ids[i], uuid, data);
    }
    return r;
}

struct orphan_scan {
    const nfsroot_peers *owners;
    nfsroot_orphans *ret;
};

static int push_orphan(rados_conn *c, uint16_t id, const char *uuid, void *data)
{
    (void)c;
    struct orphan_scan *s = data;
    for (size_t k = 0; k < s->ret->n; k++)
        if (!strcmp(s->ret->v[k].uuid, uuid))
            return 0;
    if (nfsroot_peers_has_uuid(s->owners, uuid))
        return 0;
    char where[64];
    snprintf(where, sizeof(where), "RADOS object export-%u", id);
    return nfsroot_orphans_push(s->ret, uuid, where);
}

static int ceph_list_orphans(const nfsroot_policy *p, const nfsroot_peers *owners,
                             nfsroot_orphans *ret, nfsroot_error *err)
{
    struct orphan_scan s = { owners, ret };
    int r = each_unlisted(p, push_orphan, &s, err);
    return r == -E2BIG ? nfsroot_err(err, r, NULL, "orphan", NULL, 0, "too many orphans") : r;
}

struct orphan_drop {
    const char *uuid;
    const nfsroot_log *log;
    nfsroot_error *err;
};

static int drop_orphan(rados_conn *c, uint16_t id, const char *uuid, void *data)
{
    struct orphan_drop *d = data;
    char oid[32];
    if (strcmp(uuid, d->uuid))
        return 0;
    ceph_export_oid(id, oid, sizeof(oid));
    int r = rados_conn_remove(c, oid, d->err);
    if (r == 0)
        nfsroot_logf(d->log, LOG_INFO, "ceph: removed %s, left unlisted for domain uuid %s", oid,
                     uuid);
    return r;
}

static int ceph_remove_orphan(const nfsroot_policy *p, const char *uuid,
                              const nfsroot_peers *owners, const nfsroot_log *log,
                              nfsroot_error *err)
{
    (void)owners; /* only objects carrying uuid are touched */
    struct orphan_drop d = { uuid, log, err };
    return each_unlisted(p, drop_orphan, &d, err);
}

/* 4.1: the same NFS-Ganesha 4.3 as the ganesha backend (see there why not 4.2). */
const nfsroot_backend nfsroot_backend_ceph = {
    .guest_nfs_version = "4.1",
    .apply = ceph_apply,
    .remove = ceph_remove,
    .has = ceph_has,
    .check_incoming = ceph_check_incoming,
    .probe = ceph_probe,
    .view = ceph_view,
    .start_findings = ceph_start_findings,
    .list_orphans = ceph_list_orphans,
    .remove_orphan = ceph_remove_orphan,
};
