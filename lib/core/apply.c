/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Applying plans: the state lock, the records, conflicts between domains, the backend. */
#include <syslog.h>
#include <time.h>

#include "apply.h"
#include "backend/backend.h"
#include "claim.h"
#include "fault.h"
#include "core.h"

/* Lists from nfsroot_state_list() are also NULL-terminated. */
void apply_state_list_cleanup(nfsroot_state ***l)
{
    size_t n = 0;
    while (*l && (*l)[n])
        n++;
    nfsroot_state_list_free(*l, n);
}
/* The plan plus every (path, client) of old that the plan drops. Recorded while the backend
 * works, so an apply interrupted half-way still has a record of each entry it may have left
 * exported: the next apply or release takes them down. */
static int plan_union(const nfsroot_plan *plan, const nfsroot_plan *old, nfsroot_plan **ret)
{
    _cleanup_(nfsroot_plan_freep) nfsroot_plan *u = calloc(1, sizeof(*u));
    if (!u || !(u->domain = strdup(plan->domain)) ||
        !(u->exports = calloc(plan->n_exports + old->n_exports, sizeof(*u->exports))))
        return -ENOMEM;
    memcpy(u->uuid, plan->uuid, sizeof(u->uuid));
    u->subnet_wide = plan->subnet_wide;
    if (plan->server && !(u->server = strdup(plan->server)))
        return -ENOMEM;
    for (size_t i = 0; i < plan->n_exports; i++) {
        const nfsroot_export *e = &plan->exports[i];
        nfsroot_export *x = &u->exports[u->n_exports++];
        *x = (nfsroot_export){ .readonly = e->readonly, .is_root = e->is_root };
        if (!(x->path = strdup(e->path)) || !(x->options = strdup(e->options)) ||
            !(x->clients = strv_copy(e->clients)))
            return -ENOMEM;
    }
    for (size_t i = 0; i < old->n_exports; i++) {
        const nfsroot_export *e = &old->exports[i];
        _cleanup_strv_free_ char **gone = calloc(1, sizeof(char *));
        if (!gone)
            return -ENOMEM;
        for (size_t c = 0; e->clients[c]; c++)
            if (!nfsroot_plan_has(plan, e->path, e->clients[c]) &&
                strv_push(&gone, e->clients[c]) < 0)
                return -ENOMEM;
        if (!gone[0])
            continue;
        nfsroot_export *x = &u->exports[u->n_exports++];
        *x = (nfsroot_export){ .readonly = e->readonly, .clients = TAKE_PTR(gone) };
        if (!(x->path = strdup(e->path)) || !(x->options = strdup(e->options)))
            return -ENOMEM;
    }
    *ret = TAKE_PTR(u);
    return 0;
}

/* Every readable record; the unreadable ones are logged and skipped, so one garbled record
 * never stops the other domains' starts and stops. */
int apply_list_states(const nfsroot_policy *p, const nfsroot_log *log, nfsroot_state ***ret,
                      size_t *ret_n, nfsroot_error *err)
{
    nfsroot_state_bad *bad = NULL;
    size_t n_bad = 0;
    int r = nfsroot_state_list_all(p, ret, ret_n, &bad, &n_bad, err);
    for (size_t i = 0; r == 0 && i < n_bad; i++)
        nfsroot_logf(log, LOG_ERR, "%s: skipped (its exports are not checked for conflicts)",
                     bad[i].reason);
    nfsroot_state_bad_free(bad, n_bad);
    return r;
}

/* The part of a record that passes the checks of prepare (nfsroot_export_check); each export that
 * fails is logged and left out. Returns how many were left out, or -ENOMEM. */
static int checked_part(const nfsroot_policy *p, const nfsroot_plan *rec, const nfsroot_log *log,
                        nfsroot_plan **ret, nfsroot_error *first)
{
    nfsroot_plan none = { 0 };
    _cleanup_(nfsroot_plan_freep) nfsroot_plan *ok = NULL;
    int r = plan_union(rec, &none, &ok);
    if (r < 0)
        return r;
    size_t w = 0, dropped = 0;
    for (size_t i = 0; i < ok->n_exports; i++) {
        nfsroot_export *e = &ok->exports[i];
        nfsroot_error e1 = { 0 };
        char line[2048];
        if (nfsroot_export_check(p, rec->domain, e, &e1) == 0) {
            ok->exports[w++] = *e;
            continue;
        }
        nfsroot_logf(log, LOG_ERR, "%s: its recorded export is not restored",
                     nfsroot_error_format(&e1, line, sizeof(line)));
        if (dropped++ == 0)
            *first = e1;
        free(e->path);
        free(e->options);
        strv_free(e->clients);
    }
    ok->n_exports = w;
    *ret = TAKE_PTR(ok);
    return (int)dropped;
}

const nfsroot_backend *apply_backend_for(nfsroot_backend_kind kind, const char *domain,
                                         nfsroot_error *err)
{
    const nfsroot_backend *b = nfsroot_backend_get(kind);
    if (!b)
        nfsroot_err(err, -EOPNOTSUPP, domain, "policy backend", NULL, 0,
                    "backend '%s' is not built into this virt-nfsroot",
                    nfsroot_backend_kind_to_string(kind));
    return b;
}

static const nfsroot_export *root_export(const nfsroot_plan *plan)
{
    for (size_t i = 0; i < plan->n_exports; i++)
        if (plan->exports[i].is_root)
            return &plan->exports[i];
    return NULL;
}

static bool is_host_client(const char *client)
{
    const char *slash = strrchr(client, '/');
    return slash && (!strcmp(slash, "/32") || !strcmp(slash, "/128"));
}

/* A single address (the /32 a static DHCP host pins for the MAC) that is already the client of
 * another running domain's root: a domain that clones that domain's MAC would get the same
 * address, and each guest could mount the other's root. Refused while the other one runs. */
static int check_cloned_client(const nfsroot_plan *plan, const nfsroot_plan *o, nfsroot_error *err)
{
    const nfsroot_export *mine = root_export(plan), *theirs = root_export(o);
    for (size_t c = 0; mine && theirs && mine->clients[c]; c++)
        if (is_host_client(mine->clients[c]) && strv_contains(theirs->clients, mine->clients[c]))
            return nfsroot_err(err, -EBUSY, plan->domain, "clients", NULL, 0,
                               "client '%s' of its root export is already the client of running "
                               "domain '%s' (the same MAC or pinned address): give this domain "
                               "its own MAC and address, or stop '%s' first",
                               mine->clients[c], o->domain, o->domain);
    return 0;
}

/* Two running domains may share a path only if both export it read-only (or policy allows). */
static int check_conflicts(const nfsroot_policy *p, const nfsroot_plan *plan,
                           nfsroot_state *const *others, size_t n, nfsroot_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const nfsroot_plan *o = others[i]->plan;
        if (!strcmp(o->domain, plan->domain))
            continue;
        /* The kernel backend names its exports file by UUID: a twin would overwrite it. */
        if (!strcmp(o->uuid, plan->uuid))
            return nfsroot_err(err, -EEXIST, plan->domain, "uuid", NULL, 0,
                               "uuid '%s' is already used by running domain '%s'", plan->uuid,
                               o->domain);
        int r = check_cloned_client(plan, o, err);
        if (r < 0)
            return r;
        for (size_t a = 0; a < plan->n_exports; a++)
            for (size_t b = 0; b < o->n_exports; b++) {
                const nfsroot_export *x = &plan->exports[a], *y = &o->exports[b];
                bool overlap = !strcmp(x->path, y->path) || path_is_under(x->path, y->path) ||
                               path_is_under(y->path, x->path);
                if (overlap && (!x->readonly || !y->readonly) && !p->allow_shared_rw)
                    return nfsroot_err(err, -EBUSY, plan->domain, "export path", NULL, 0,
                                       "export path '%s' overlaps '%s', exported %s to running "
                                       "domain '%s'; only read-only exports can be shared",
                                       x->path, y->path, y->readonly ? "read-only" : "read-write",
                                       o->domain);
            }
    }
    return 0;
}

static void log_exports(const nfsroot_log *log, const nfsroot_plan *plan, const char *verb)
{
    for (size_t i = 0; i < plan->n_exports; i++) {
        _cleanup_free_ char *clients = strv_join(plan->exports[i].clients, ",");
        nfsroot_logf(log, LOG_INFO, "domain '%s': %s %s %s %s (%s)", plan->domain, verb,
                     plan->exports[i].path, strcmp(verb, "exported") ? "from" : "to",
                     clients ? clients : "", plan->exports[i].options);
    }
}

/* Keep the (path, client) pairs another running domain still exports (shared read-only). */
static void drop_shared(nfsroot_plan *plan, nfsroot_state *const *all, size_t n)
{
    for (size_t e = 0; e < plan->n_exports; e++) {
        char **clients = plan->exports[e].clients;
        size_t w = 0;
        for (size_t c = 0; clients[c]; c++) {
            bool shared = false;
            for (size_t i = 0; i < n && !shared; i++)
                shared = strcmp(all[i]->plan->domain, plan->domain) &&
                         nfsroot_plan_has(all[i]->plan, plan->exports[e].path, clients[c]);
            if (shared)
                free(clients[c]);
            else
                clients[w++] = clients[c];
        }
        clients[w] = NULL;
    }
}

/* The plans of the running domains on backend `kind`, but for those named skip1 and skip2,
 * plus `extra` (the domain being applied). *ret_buf is the allocation to free. */
int apply_collect_peers(nfsroot_state *const *all, size_t n, nfsroot_backend_kind kind,
                        const char *skip1, const char *skip2, const nfsroot_plan *extra,
                        const nfsroot_plan ***ret_buf, nfsroot_peers *ret)
{
    const nfsroot_plan **v = calloc(n + 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *d = all[i]->plan->domain;
        if (all[i]->backend == kind && (!skip1 || strcmp(d, skip1)) && (!skip2 || strcmp(d, skip2)))
            v[k++] = all[i]->plan;
    }
    if (extra)
        v[k++] = extra;
    *ret_buf = v;
    *ret = (nfsroot_peers){ .plans = v, .n = k };
    return 0;
}

static bool plans_share(const nfsroot_plan *a, const nfsroot_plan *b)
{
    for (size_t e = 0; e < a->n_exports; e++)
        for (size_t c = 0; a->exports[e].clients[c]; c++)
            if (nfsroot_plan_has(b, a->exports[e].path, a->exports[e].clients[c]))
                return true;
    return false;
}

/* `changed` came (or, gone, went): the other domains sharing an export with it get their saved
 * configuration rewritten, since which of them holds a shared entry may change. Logged, never
 * fatal: the live exports are right either way. */
static void rewrite_sharers(const nfsroot_policy *p, const nfsroot_backend *b,
                            nfsroot_backend_kind kind, nfsroot_state *const *all, size_t n,
                            const nfsroot_plan *changed, bool gone, const nfsroot_log *log)
{
    if (!b->rewrite)
        return;
    for (size_t i = 0; i < n; i++) {
        const nfsroot_plan *other = all[i]->plan;
        if (all[i]->backend != kind || !strcmp(other->domain, changed->domain) ||
            !plans_share(changed, other))
            continue;
        _cleanup_free_ const nfsroot_plan **buf = NULL;
        nfsroot_peers peers;
        nfsroot_error e = { 0 }, ignored = { 0 };
        /* What its saved configuration gets back (exportfs -ra reads it) is re-checked too. */
        _cleanup_(nfsroot_plan_freep) nfsroot_plan *checked = NULL;
        int r = checked_part(p, other, log, &checked, &ignored);
        if (r >= 0)
            r = apply_collect_peers(all, n, kind, other->domain, changed->domain,
                                    gone ? NULL : changed, &buf, &peers);
        if (r == 0)
            r = b->rewrite(p, checked, &peers, &e);
        if (r < 0)
            nfsroot_logf(log, LOG_ERR, "domain '%s': cannot update its shared exports: %s",
                         other->domain, e.message[0] ? e.message : strerror(-r));
    }
}

/* The record of plan's domain among all, with what a redefinition or a backend switch left
 * taken down first (its exports file is named by the old UUID and would outlive it). */
static int previous_record(const nfsroot_policy *p, const nfsroot_plan *plan,
                           nfsroot_state *const *all, size_t n_all, const nfsroot_log *log,
                           nfsroot_state **ret, nfsroot_error *err)
{
    nfsroot_state *old = NULL;
    for (size_t i = 0; i < n_all; i++)
        if (!strcmp(all[i]->plan->domain, plan->domain))
            old = all[i];
    if (old && (old->backend != p->backend || strcmp(old->plan->uuid, plan->uuid))) {
        const nfsroot_backend *ob = apply_backend_for(old->backend, plan->domain, err);
        int r = ob ? ob->remove(p, old->plan, log, err) : -EOPNOTSUPP;
        if (r < 0)
            return r;
        old = NULL;
        NFSROOT_FAULT_POINT("apply-old-removed");
    }
    *ret = old;
    return 0;
}

/* A failed apply takes down what it made, but what another running domain shares stays; an
 * entry the undo could not take down keeps its record, so release retries it. */
static void undo_apply(const nfsroot_policy *p, const nfsroot_backend *b, const nfsroot_plan *made,
                       nfsroot_state *const *all, size_t n_all, const nfsroot_log *log)
{
    nfsroot_error ignored = { 0 };
    nfsroot_plan none = { 0 };
    _cleanup_(nfsroot_plan_freep) nfsroot_plan *undo = NULL;
    int undone = plan_union(made, &none, &undo);
    if (undone == 0) {
        drop_shared(undo, all, n_all);
        undone = b->remove(p, undo, log, &ignored);
    }
    if (undone == 0) {
        (void)nfsroot_state_delete(p, made->domain);
        nfsroot_claims_drop(p, made, log);
    }
}

static int verify_paths(const nfsroot_plan *plan, nfsroot_error *err)
{
    for (size_t i = 0; i < plan->n_exports; i++) {
        int r = nfsroot_path_verify(plan->exports[i].path, err);
        if (r < 0) {
            snprintf(err->domain, sizeof(err->domain), "%s", plan->domain);
            return r;
        }
    }
    return 0;
}

/* What apply and its check start from: the policy's backend, the plan's paths verified, the
 * state lock taken. */
static int lock_for_plan(const nfsroot_policy *p, const nfsroot_plan *plan,
                         const nfsroot_backend **b, int *lock, nfsroot_error *err)
{
    *b = apply_backend_for(p->backend, plan->domain, err);
    if (!*b)
        return -EOPNOTSUPP;
    int r = verify_paths(plan, err);
    return r < 0 ? r : nfsroot_state_lock(p, lock, err);
}

int nfsroot_apply(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_log *log,
                  nfsroot_error *err)
{
    const nfsroot_backend *b = NULL;
    _cleanup_close_ int lock = -1;
    int r = lock_for_plan(p, plan, &b, &lock, err);
    if (r < 0)
        return r;
    NFSROOT_FAULT_POINT("apply-locked");
    _cleanup_(apply_state_list_cleanup) nfsroot_state **all = NULL;
    size_t n_all = 0;
    nfsroot_state *old = NULL;
    r = apply_list_states(p, log, &all, &n_all, err);
    if (r == 0)
        r = check_conflicts(p, plan, all, n_all, err);
    /* Other hosts sharing the storage: their claims, as the records are this host's. */
    if (r == 0 && (r = nfsroot_claims_take(p, plan, err)) == 0)
        NFSROOT_FAULT_POINT("apply-claimed");
    bool claimed = r == 0;
    if (r == 0)
        r = previous_record(p, plan, all, n_all, log, &old, err);
    /* The record goes first: whatever happens next, release knows what to take down. Until the
     * backend is done that includes what the old record had and this plan drops. */
    _cleanup_(nfsroot_plan_freep) nfsroot_plan *both = NULL;
    if (r == 0 && old)
        r = plan_union(plan, old->plan, &both);
    nfsroot_state s = { .plan = both ? both : (nfsroot_plan *)plan,
                        .backend = p->backend,
                        .since = (int64_t)time(NULL) };
    if (r == 0)
        r = nfsroot_state_write(p, &s, err);
    if (r < 0) {
        if (claimed)
            nfsroot_claims_drop(p, plan, log);
        return r;
    }
    NFSROOT_FAULT_POINT("apply-state-written");
    _cleanup_free_ const nfsroot_plan **peer_buf = NULL;
    nfsroot_peers peers;
    r = apply_collect_peers(all, n_all, p->backend, plan->domain, NULL, NULL, &peer_buf, &peers);
    if (r == 0)
        r = b->apply(p, plan, old ? old->plan : NULL, &peers, log, err);
    if (r < 0) {
        undo_apply(p, b, s.plan, all, n_all, log);
        if (!err->domain[0])
            snprintf(err->domain, sizeof(err->domain), "%s", plan->domain);
        return r;
    }
    NFSROOT_FAULT_POINT("apply-backend-done");
    rewrite_sharers(p, b, p->backend, all, n_all, plan, false, log);
    if (both) {
        /* Failing here leaves the wider record: release then takes down a little more. */
        nfsroot_error ignored = { 0 };
        s.plan = (nfsroot_plan *)plan;
        if (nfsroot_state_write(p, &s, &ignored) < 0)
            nfsroot_logf(log, LOG_WARNING, "domain '%s': %s", plan->domain, ignored.message);
        NFSROOT_FAULT_POINT("apply-state-rewritten");
    }
    log_exports(log, plan, "exported");
    return 0;
}

int nfsroot_apply_check(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_log *log,
                        nfsroot_error *err)
{
    const nfsroot_backend *b = NULL;
    _cleanup_close_ int lock = -1;
    int r = lock_for_plan(p, plan, &b, &lock, err);
    _cleanup_(apply_state_list_cleanup) nfsroot_state **all = NULL;
    size_t n_all = 0;
    if (r == 0)
        r = apply_list_states(p, log, &all, &n_all, err);
    if (r == 0)
        r = check_conflicts(p, plan, all, n_all, err);
    _cleanup_free_ const nfsroot_plan **peer_buf = NULL;
    nfsroot_peers peers;
    if (r == 0)
        r = apply_collect_peers(all, n_all, p->backend, plan->domain, NULL, NULL, &peer_buf,
                                &peers);
    bool handover = false;
    if (r == 0)
        r = nfsroot_claims_check(p, plan, &handover, err);
    if (r == 0 && b->check_incoming)
        r = b->check_incoming(p, plan, &peers, err);
    if (r == 0 && handover)
        r = nfsroot_claims_expect(p, plan, err);
    if (r < 0 && !err->domain[0])
        snprintf(err->domain, sizeof(err->domain), "%s", plan->domain);
    return r;
}

/* What release and reconnect start from, under the state lock: the domain's record, every
 * record, and the backend that record names. */
typedef struct locked_record {
    int lock;
    nfsroot_state *s;
    nfsroot_state **all;
    size_t n_all;
    const nfsroot_backend *b;
} locked_record;

static void locked_record_done(locked_record *l)
{
    nfsroot_state_free(l->s);
    apply_state_list_cleanup(&l->all);
    closep(&l->lock);
}

/* -ENOENT (err untouched) when the domain has no record. */
static int lock_record(const nfsroot_policy *p, const char *domain_name, const nfsroot_log *log,
                       locked_record *l, nfsroot_error *err)
{
    int r = nfsroot_state_lock(p, &l->lock, err);
    if (r == 0)
        r = nfsroot_state_read(p, domain_name, &l->s, err);
    if (r == 0)
        r = apply_list_states(p, log, &l->all, &l->n_all, err);
    if (r < 0)
        return r;
    l->b = apply_backend_for(l->s->backend, domain_name, err);
    return l->b ? 0 : -EOPNOTSUPP;
}

int nfsroot_remove(const nfsroot_policy *p, const char *domain_name, const nfsroot_log *log,
                   nfsroot_error *err)
{
    _cleanup_(locked_record_done) locked_record l = { .lock = -1 };
    int r = lock_record(p, domain_name, log, &l, err);
    if (r < 0)
        return r == -ENOENT ? 0 : r;
    nfsroot_state *s = l.s, **all = l.all;
    size_t n_all = l.n_all;
    const nfsroot_backend *b = l.b;
    /* Sharers first: a shared entry moves to another domain's file before ours goes, so an
     * `exportfs -r` in between finds it twice (a warning) rather than nowhere. */
    rewrite_sharers(p, b, s->backend, all, n_all, s->plan, true, log);
    drop_shared(s->plan, all, n_all);
    NFSROOT_FAULT_POINT("remove-locked");
    r = b->remove(p, s->plan, log, err);
    if (r < 0)
        return r;
    NFSROOT_FAULT_POINT("remove-backend-done");
    r = nfsroot_state_delete(p, domain_name);
    if (r < 0)
        return nfsroot_err(err, r, domain_name, "state", p->state_dir, 0,
                           "cannot delete the record of domain '%s': %s", domain_name,
                           strerror(-r));
    /* After the export is gone; a claim another host took over (migrated) stays. */
    nfsroot_claims_drop(p, s->plan, log);
    log_exports(log, s->plan, "unexported");
    return 0;
}

int nfsroot_ensure(const nfsroot_policy *p, const char *domain_name, const nfsroot_log *log,
                   nfsroot_error *err)
{
    _cleanup_(locked_record_done) locked_record l = { .lock = -1 };
    int r = lock_record(p, domain_name, log, &l, err);
    if (r < 0)
        return r;
    nfsroot_state *s = l.s, **all = l.all;
    size_t n_all = l.n_all;
    const nfsroot_backend *b = l.b;
    /* A record is never trusted: only what passes prepare's checks today is put back. */
    nfsroot_error refused = { 0 };
    _cleanup_(nfsroot_plan_freep) nfsroot_plan *plan = NULL;
    int dropped = checked_part(p, s->plan, log, &plan, &refused);
    if (dropped < 0)
        return dropped;
    bool complete = true;
    for (size_t e = 0; e < plan->n_exports && complete; e++)
        for (size_t c = 0; plan->exports[e].clients[c] && complete; c++) {
            bool has = false;
            r = b->has(p, plan->exports[e].path, plan->exports[e].clients[c], &has, err);
            if (r < 0)
                return r;
            complete = has;
        }
    if (!complete && plan->n_exports > 0) {
        _cleanup_free_ const nfsroot_plan **peer_buf = NULL;
        nfsroot_peers peers;
        r = apply_collect_peers(all, n_all, s->backend, domain_name, NULL, NULL, &peer_buf, &peers);
        if (r < 0)
            return r;
        r = b->apply(p, plan, plan, &peers, log, err);
        if (r < 0)
            return r;
        log_exports(log, plan, "restored");
    }
    if (dropped > 0) {
        /* -EPERM whatever the check said: -ENOENT would read as "no record" to the caller. */
        refused.code = -EPERM;
        if (err && !err->code)
            *err = refused;
        return -EPERM;
    }
    return 0;
}

int nfsroot_backend_has(const nfsroot_policy *p, const char *path, const char *client, bool *ret)
{
    const nfsroot_backend *b = nfsroot_backend_get(p->backend);
    if (!b)
        return -EOPNOTSUPP;
    return b->has(p, path, client, ret, NULL);
}
