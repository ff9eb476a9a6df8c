/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the cluster holds of a domain's exports, read without the lock (a snapshot):
 *   status: per export of this host's record, its export object (ours: our xattrs for this
 *           domain and path), its url line, the claim's holder, and where that disagrees with
 *           the record (this host runs the domain through them);
 *   validate: what a start here needs, one finding each: the cluster reachable, the pool and
 *           conf-nfs.<cluster> present, no other host holding a read-write export's claim.
 * Everything printed from the cluster is what its strict readers accepted (claims.c), or our
 * own object names. */
#include "backend/ceph/ceph.h"

static void fact_str(nfsroot_export_view *v, const char *key, const char *s)
{
    nfsroot_view_fact *f = &v->facts[v->n++];
    f->key = key;
    f->kind = s ? NFSROOT_VIEW_STRING : NFSROOT_VIEW_NULL;
    snprintf(f->s, sizeof(f->s), "%s", s ? s : "");
}

static void fact_bool(nfsroot_export_view *v, const char *key, bool b)
{
    nfsroot_view_fact *f = &v->facts[v->n++];
    f->key = key;
    f->kind = NFSROOT_VIEW_BOOL;
    f->b = b;
}

/* The claim's facts and disagreement for a read-write export; 0 or a read error. */
static int view_claim(rados_conn *c, const nfsroot_plan *plan, const char *path, const char *me,
                      nfsroot_export_view *v, nfsroot_error *err)
{
    ceph_claim cl;
    int r = ceph_claim_read(c, plan->domain, path, &cl, err);
    if (r < 0 && r != -ENOENT)
        return r;
    fact_str(v, "claim_holder", r == 0 ? cl.host : NULL);
    size_t n = strlen(v->text);
    if (r == -ENOENT)
        snprintf(v->text + n, sizeof(v->text) - n, ", no claim");
    else
        snprintf(v->text + n, sizeof(v->text) - n, ", claimed by host '%s'%s%s%s", cl.host,
                 cl.to[0] ? " (hand-over to '" : "", cl.to, cl.to[0] ? "' noted)" : "");
    if (v->disagree[0])
        return 0;
    if (r == -ENOENT)
        snprintf(v->disagree, sizeof(v->disagree),
                 "the cluster holds no claim on it: another host could start the domain's "
                 "root read-write");
    else if (strcmp(cl.uuid, plan->uuid))
        snprintf(v->disagree, sizeof(v->disagree),
                 "the cluster's claim on it is domain '%.80s' (uuid %s) on host '%s'", cl.domain,
                 cl.uuid, cl.host);
    else if (strcmp(cl.host, me) && strcmp(cl.from, me))
        snprintf(v->disagree, sizeof(v->disagree),
                 "the cluster's claim on it is held by host '%s', not this host ('%s'): the "
                 "domain runs there",
                 cl.host, me);
    return 0;
}

/* One export's facts: object, listed, claim. */
static int view_one(rados_conn *c, const nfsroot_policy *p, const nfsroot_plan *plan,
                    const nfsroot_export *e, const char *urls, const char *me,
                    nfsroot_export_view *v, nfsroot_error *err)
{
    uint16_t id = 0;
    char oid[32] = "";
    int r = ceph_find_id(c, p, plan, e, urls, NULL, 0, false, &id, err);
    if (r < 0 && r != -ENOENT)
        return r;
    bool listed = r == 0 && ceph_urls_has(urls, p, id);
    if (r == 0)
        ceph_export_oid(id, oid, sizeof(oid));
    fact_str(v, "export_object", r == 0 ? oid : NULL);
    fact_bool(v, "listed", listed);
    snprintf(v->text, sizeof(v->text), "%s%s, %slisted in %s", r == 0 ? oid : "no export object",
             r == 0 ? " present" : "", listed ? "" : "not ", rados_conn_conf_oid(c));
    if (r == -ENOENT)
        snprintf(v->disagree, sizeof(v->disagree),
                 "this host's record has it exported, but the cluster holds no export object "
                 "of this domain for it");
    else if (!listed)
        snprintf(v->disagree, sizeof(v->disagree),
                 "export object %s is not listed in %s: no ganesha node serves it", oid,
                 rados_conn_conf_oid(c));
    return e->readonly ? 0 : view_claim(c, plan, e->path, me, v, err);
}

/* Connect and read the url list ("" when absent), no lock. */
static int open_read(const nfsroot_policy *p, const char *domain, rados_conn **ret_c,
                     char **ret_urls, nfsroot_error *err)
{
    int r = rados_conn_open(p, domain, ret_c, err);
    if (r == 0)
        r = rados_conn_read(*ret_c, rados_conn_conf_oid(*ret_c), ret_urls, err);
    if (r == -ENOENT && !(*ret_urls = strdup("")))
        return -ENOMEM;
    return r == -ENOENT ? 0 : r;
}

int ceph_view(const nfsroot_policy *p, const nfsroot_plan *plan, nfsroot_export_view *ret,
              nfsroot_error *err)
{
    _cleanup_(rados_conn_closep) rados_conn *c = NULL;
    _cleanup_free_ char *urls = NULL;
    char me[CEPH_HOST_MAX];
    int r = ceph_claim_me(p, me, err);
    if (r == 0)
        r = open_read(p, plan->domain, &c, &urls, err);
    for (size_t i = 0; r == 0 && i < plan->n_exports; i++)
        r = view_one(c, p, plan, &plan->exports[i], urls, me, &ret[i], err);
    return r;
}

static int finding(nfsroot_findings *f, nfsroot_finding_level level, const char *code,
                   const nfsroot_error *e)
{
    char line[1024];
    return nfsroot_findings_add(f, level, code, e->path[0] ? e->path : NULL, "%s",
                                nfsroot_error_format(e, line, sizeof(line)));
}

int ceph_start_findings(const nfsroot_policy *p, const nfsroot_plan *plan, nfsroot_findings *f)
{
    _cleanup_(rados_conn_closep) rados_conn *c = NULL;
    char me[CEPH_HOST_MAX];
    nfsroot_error e = { 0 };
    int r = ceph_check_policy(p, plan->domain, &e);
    if (r == 0)
        r = ceph_claim_me(p, me, &e);
    if (r == 0)
        r = rados_conn_open(p, plan->domain, &c, &e);
    if (r < 0)
        return r == -ENOMEM ? r : finding(f, NFSROOT_FINDING_ERROR, "ceph-cluster", &e);
    _cleanup_free_ char *urls = NULL;
    r = rados_conn_read(c, rados_conn_conf_oid(c), &urls, &e);
    if (r == -ENOENT)
        nfsroot_err(&e, r, plan->domain, "policy key 'ceph_namespace'", p->source, 0,
                    "policy key 'ceph_namespace' is '%s', but pool '%s' has no RADOS object "
                    "'%s' there: no ganesha node of the cluster would serve the export",
                    p->ceph_namespace, p->ceph_pool, rados_conn_conf_oid(c));
    if (r < 0)
        return r == -ENOMEM ? r : finding(f, NFSROOT_FINDING_ERROR, "ceph-namespace", &e);
    r = ceph_claims_check(c, p, plan, me, &e);
    if (r < 0)
        return r == -ENOMEM ? r : finding(f, NFSROOT_FINDING_ERROR, "ceph-claim", &e);
    return nfsroot_findings_add(f, NFSROOT_FINDING_INFO, "ceph-cluster", NULL,
                                "domain '%s': the Ceph cluster is reachable, pool '%s' holds %s "
                                "in namespace '%s', and no other host claims the domain's "
                                "read-write exports (host id '%s')",
                                plan->domain, p->ceph_pool, rados_conn_conf_oid(c),
                                p->ceph_namespace, me);
}
