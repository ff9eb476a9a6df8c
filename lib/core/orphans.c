/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Orphans: what a backend made for a domain that no record owns (reconcile lists and removes
 * them). */
#include <strings.h>

#include "apply.h"

/* ---- Orphans: what a backend made for a domain that no record owns ---------------------- */

void nfsroot_orphans_free(nfsroot_orphan *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i].where);
    free(list);
}

static void orphans_done(nfsroot_orphans *l)
{
    nfsroot_orphans_free(l->v, l->n);
}

/* The state lock, then every readable record: where each orphan call starts. */
typedef struct locked_states {
    int lock;
    nfsroot_state **all;
    size_t n_all;
} locked_states;

static void locked_states_done(locked_states *l)
{
    apply_state_list_cleanup(&l->all);
    closep(&l->lock);
}

static int lock_and_list(const nfsroot_policy *p, const nfsroot_log *log, locked_states *l,
                         nfsroot_error *err)
{
    int r = nfsroot_state_lock(p, &l->lock, err);
    return r < 0 ? r : apply_list_states(p, log, &l->all, &l->n_all, err);
}

int nfsroot_orphans_list(const nfsroot_policy *p, nfsroot_orphan **ret, size_t *ret_n,
                         nfsroot_error *err)
{
    _cleanup_(locked_states_done) locked_states l = { .lock = -1 };
    int r = lock_and_list(p, NULL, &l, err);
    if (r < 0)
        return r;
    _cleanup_(orphans_done) nfsroot_orphans found = { 0 };
    for (size_t k = 0; k < nfsroot_backend_count(); k++) {
        const nfsroot_backend *b = nfsroot_backend_get((nfsroot_backend_kind)k);
        if (!b || !b->list_orphans)
            continue;
        _cleanup_free_ const nfsroot_plan **buf = NULL;
        nfsroot_peers owners;
        size_t first = found.n;
        r = apply_collect_peers(l.all, l.n_all, (nfsroot_backend_kind)k, NULL, NULL, NULL, &buf,
                                &owners);
        if (r == 0)
            r = b->list_orphans(p, &owners, &found, err);
        if (r < 0)
            return r;
        for (size_t i = first; i < found.n; i++)
            found.v[i].backend = (nfsroot_backend_kind)k;
    }
    *ret_n = found.n;
    *ret = TAKE_PTR(found.v);
    found.n = 0;
    return 0;
}

int nfsroot_orphan_remove(const nfsroot_policy *p, const nfsroot_orphan *o, const nfsroot_log *log,
                          nfsroot_error *err)
{
    if (!nfsroot_uuid_is_valid(o->uuid))
        return nfsroot_err(err, -EINVAL, NULL, "orphan", NULL, 0, "'%.36s' is not a UUID", o->uuid);
    const nfsroot_backend *b = apply_backend_for(o->backend, NULL, err);
    if (!b || !b->remove_orphan)
        return b ? nfsroot_err(err, -EOPNOTSUPP, NULL, "orphan", NULL, 0,
                               "the %s backend does not take orphans down",
                               nfsroot_backend_kind_to_string(o->backend))
                 : -EOPNOTSUPP;
    _cleanup_(locked_states_done) locked_states l = { .lock = -1 };
    int r = lock_and_list(p, log, &l, err);
    if (r < 0)
        return r;
    _cleanup_free_ const nfsroot_plan **buf = NULL;
    nfsroot_peers owners;
    r = apply_collect_peers(l.all, l.n_all, o->backend, NULL, NULL, NULL, &buf, &owners);
    if (r < 0)
        return r;
    /* A start since the listing: it is that domain's now. */
    for (size_t i = 0; i < owners.n; i++)
        if (!strcasecmp(owners.plans[i]->uuid, o->uuid))
            return nfsroot_err(err, -EBUSY, owners.plans[i]->domain, "orphan", o->where, 0,
                               "domain '%s' has a record again: '%s' is no orphan any more",
                               owners.plans[i]->domain, o->where ? o->where : o->uuid);
    return b->remove_orphan(p, o->uuid, &owners, log, err);
}
