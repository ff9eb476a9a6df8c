/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The registry of backends: the one place that knows which are built in and their
 * implementations. Adding a backend is its own file, its kind in the public header, its name in
 * formats/backend-kind.c and one line in `registry`. */
#include <stdarg.h>

#include "backend/backend.h"

static const nfsroot_backend *const registry[] = {
    [NFSROOT_BACKEND_KERNEL] = &nfsroot_backend_kernel,
#ifdef NFSROOT_HAVE_GANESHA
    [NFSROOT_BACKEND_GANESHA] = &nfsroot_backend_ganesha,
#endif
#ifdef NFSROOT_HAVE_CEPH
    [NFSROOT_BACKEND_CEPH] = &nfsroot_backend_ceph,
#endif
};

const nfsroot_backend *nfsroot_backend_get(nfsroot_backend_kind kind)
{
    return (size_t)kind < ELEMENTSOF(registry) ? registry[kind] : NULL;
}

unsigned nfsroot_backend_nfs_versions(const nfsroot_policy *p, char *why, size_t len)
{
    if (len)
        why[0] = '\0';
    const nfsroot_backend *b = p ? nfsroot_backend_get(p->backend) : NULL;
    if (!b || !b->nfs_versions)
        return NFSROOT_NFS_V3 | NFSROOT_NFS_V4;
    return b->nfs_versions(p, why, len);
}

const char *nfsroot_backend_guest_nfs_version(const nfsroot_policy *p)
{
    const nfsroot_backend *b = p ? nfsroot_backend_get(p->backend) : NULL;
    return b ? b->guest_nfs_version : NULL;
}

bool nfsroot_peers_has_uuid(const nfsroot_peers *peers, const char *uuid)
{
    for (size_t i = 0; i < peers->n; i++)
        if (!strcasecmp(peers->plans[i]->uuid, uuid))
            return true;
    return false;
}

int nfsroot_backend_boot_findings(const nfsroot_policy *p, nfsroot_findings *f)
{
    const nfsroot_backend *b = nfsroot_backend_get(p->backend);
    return b && b->boot_findings ? b->boot_findings(p, f) : 0;
}

int nfsroot_backend_view(const nfsroot_policy *p, const nfsroot_plan *plan,
                         nfsroot_export_view *ret, nfsroot_error *err)
{
    const nfsroot_backend *b = nfsroot_backend_get(p->backend);
    for (size_t i = 0; i < plan->n_exports; i++)
        ret[i] = (nfsroot_export_view){ 0 };
    return b && b->view ? b->view(p, plan, ret, err) : 0;
}

int nfsroot_backend_start_findings(const nfsroot_policy *p, const nfsroot_plan *plan,
                                   nfsroot_findings *f)
{
    const nfsroot_backend *b = nfsroot_backend_get(p->backend);
    return b && b->start_findings ? b->start_findings(p, plan, f) : 0;
}

bool nfsroot_backend_offers_nfsv3(const nfsroot_policy *p, char *why, size_t len)
{
    return nfsroot_backend_nfs_versions(p, why, len) & NFSROOT_NFS_V3;
}

static int probe_fill(const nfsroot_policy *p, int root_fd, nfsroot_probe *ret, nfsroot_error *err)
{
    *ret = (nfsroot_probe){ .running = -1, .threads = -1, .migration = -1, .rpcbind = -1 };
    for (size_t i = 0; i < NFSROOT_PROBE_VERSIONS; i++)
        ret->versions[i] = -1;
    const nfsroot_backend *b = nfsroot_backend_get(p->backend);
    if (b && b->probe)
        return b->probe(p, root_fd, ret, err);
    snprintf(ret->reason, sizeof(ret->reason), "backend '%s': no server check",
             nfsroot_backend_name(p->backend));
    snprintf(ret->versions_reason, sizeof(ret->versions_reason), "backend '%s': no version check",
             nfsroot_backend_name(p->backend));
    return 0;
}

int nfsroot_backend_probe(const nfsroot_policy *p, int root_fd, nfsroot_probe **ret,
                          nfsroot_error *err)
{
    _cleanup_free_ nfsroot_probe *pr = malloc(sizeof(*pr));
    if (!pr)
        return nfsroot_err(err, -ENOMEM, NULL, "backend", NULL, 0, "out of memory");
    int r = probe_fill(p, root_fd, pr, err);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(pr);
    return 0;
}

void nfsroot_probe_free(nfsroot_probe *pr)
{
    free(pr);
}

DEFINE_ACCESSOR(int, nfsroot_probe_get_running, nfsroot_probe, x->running)
DEFINE_ACCESSOR(long, nfsroot_probe_get_pid, nfsroot_probe, x->pid)
DEFINE_ACCESSOR(long, nfsroot_probe_get_threads, nfsroot_probe, x->threads)
DEFINE_ACCESSOR(const char *, nfsroot_probe_get_reason, nfsroot_probe, x->reason)
DEFINE_ACCESSOR(const char *, nfsroot_probe_get_fix, nfsroot_probe, x->fix[0] ? x->fix : NULL)

int nfsroot_probe_get_version(const nfsroot_probe *pr, size_t i)
{
    return pr && i < NFSROOT_PROBE_VERSIONS ? pr->versions[i] : -1;
}

const char *nfsroot_probe_get_versions_reason(const nfsroot_probe *pr, bool *ret_unreadable)
{
    if (ret_unreadable)
        *ret_unreadable = pr->versions_unreadable;
    return pr->versions_reason[0] ? pr->versions_reason : NULL;
}

const char *nfsroot_probe_get_version_setting(const nfsroot_probe *pr, size_t i, bool on)
{
    if (i >= NFSROOT_PROBE_VERSIONS)
        return NULL;
    return on ? pr->version_on[i] : pr->version_off[i];
}

DEFINE_ACCESSOR(const char *, nfsroot_probe_get_versions_where, nfsroot_probe, x->versions_where)
DEFINE_ACCESSOR(const char *, nfsroot_probe_get_helper, nfsroot_probe, x ? x->helper : NULL)
DEFINE_ACCESSOR(const char *, nfsroot_probe_get_helper_records, nfsroot_probe, x->helper_records)
DEFINE_ACCESSOR(const char *, nfsroot_probe_get_helper_fix, nfsroot_probe, x->helper_fix)

int nfsroot_probe_get_migration(const nfsroot_probe *pr, const char **ret_reason,
                                const char **ret_fix)
{
    if (ret_reason)
        *ret_reason = pr->migration_reason;
    if (ret_fix)
        *ret_fix = pr->migration_fix;
    return pr->migration;
}

int nfsroot_probe_get_rpcbind(const nfsroot_probe *pr, const char **ret_reason)
{
    if (ret_reason)
        *ret_reason = pr ? pr->rpcbind_reason : "";
    return pr ? pr->rpcbind : -1;
}

DEFINE_ACCESSOR(size_t, nfsroot_probe_get_n_checks, nfsroot_probe, x ? x->n_checks : 0)

int nfsroot_probe_get_check(const nfsroot_probe *pr, size_t i, const char **ret_id,
                            const char **ret_reason, const char **ret_fix)
{
    if (!pr || i >= pr->n_checks)
        return -1;
    *ret_id = pr->checks[i].id;
    *ret_reason = pr->checks[i].reason;
    *ret_fix = pr->checks[i].fix[0] ? pr->checks[i].fix : NULL;
    return (int)pr->checks[i].status;
}

void nfsroot_probe_add_check(nfsroot_probe *ret, const char *id, nfsroot_probe_status status,
                             const char *fix, const char *fmt, ...)
{
    if (ret->n_checks >= NFSROOT_PROBE_CHECKS_MAX)
        return;
    nfsroot_probe_check *c = &ret->checks[ret->n_checks++];
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->status = status;
    snprintf(c->fix, sizeof(c->fix), "%s", fix ? fix : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
    va_end(ap);
}

int nfsroot_orphans_push(nfsroot_orphans *l, const char *uuid, const char *where)
{
    if (l->n >= NFSROOT_ORPHANS_MAX)
        return -E2BIG;
    nfsroot_orphan *v = realloc(l->v, (l->n + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    l->v = v;
    v[l->n] = (nfsroot_orphan){ .where = strdup(where) };
    snprintf(v[l->n].uuid, sizeof(v[l->n].uuid), "%s", uuid);
    return v[l->n++].where ? 0 : -ENOMEM;
}
