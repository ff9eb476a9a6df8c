/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The claim of a running domain's read-write export path, cluster-wide in RADOS: one object
 * `virt-nfsroot.claim:<path>` per path in the backend's pool and namespace, holding the host
 * (policy ceph_node_id, else its hostname), the domain's UUID and name, and since when. It is
 * read and written only under the lock on conf-nfs.<cluster> that the url list changes under,
 * so two hosts preparing one root at once see each other. Read back with a strict, bounded
 * reader: whatever another host wrote is never trusted to allow more than its own path.
 *
 * Hand-over (live migration): `migrate begin` on the destination notes `to <host> <time>` in the
 * claim; the destination's prepare within CEPH_HANDOVER_MAX_AGE_S takes it (`from` the source);
 * the source's release then leaves it the destination's alone and keeps the exports. A
 * destination that stops the domain before the source released it gives the claim back.
 *
 * A dead host's claim: void once its ganesha node is no longer in the grace database
 * (`ganesha-rados-grace remove <node>`, what an operator does anyway for a node that is gone:
 * a member that never comes back holds every node in grace). Without a grace database, or when
 * it cannot be read, a claim stands. */
#include <syslog.h>
#include <time.h>

#include "backend/ceph/ceph.h"
#include "registry.h"

#define CLAIM_PREFIX "virt-nfsroot.claim:"
#define CLAIM_MAGIC "virt-nfsroot-ceph-claim 1"
#define CLAIM_TEXT_MAX 2048

static bool host_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < CEPH_HOST_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") == n;
}

int ceph_claim_me(const nfsroot_policy *p, char me[static CEPH_HOST_MAX], nfsroot_error *err)
{
    if (p->ceph_node_id[0])
        snprintf(me, CEPH_HOST_MAX, "%s", p->ceph_node_id);
    else if (gethostname(me, CEPH_HOST_MAX) < 0)
        me[0] = '\0';
    me[CEPH_HOST_MAX - 1] = '\0';
    if (!host_ok(me))
        return nfsroot_err(err, -EINVAL, NULL, "policy key 'ceph_node_id'", p->source, 0,
                           "this host has no name to claim export paths in the Ceph cluster "
                           "with: set policy key 'ceph_node_id' (its ganesha node id)");
    return 0;
}

static void claim_oid(const char *path, char *buf, size_t len)
{
    snprintf(buf, len, CLAIM_PREFIX "%s", path);
}

int ceph_claim_format(const ceph_claim *c, char *buf, size_t len)
{
    int n = snprintf(buf, len, CLAIM_MAGIC "\nhost %s\nuuid %s\ndomain %s\npath %s\nsince %lld\n",
                     c->host, c->uuid, c->domain, c->path, (long long)c->since);
    if (n >= 0 && (size_t)n < len && c->from[0])
        n += snprintf(buf + n, len - (size_t)n, "from %s\n", c->from);
    if (n >= 0 && (size_t)n < len && c->to[0])
        n += snprintf(buf + n, len - (size_t)n, "to %s %lld\n", c->to, (long long)c->to_since);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int parse_time(const char *s, int64_t *ret)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return -EBADMSG;
    *ret = v;
    return 0;
}

/* The optional lines after the fixed five: "from <host>", "to <host> <time>". */
static int parse_optional(char *line, char **save, ceph_claim *c)
{
    if (line && !strncmp(line, "from ", 5)) {
        if (!host_ok(line + 5))
            return -EBADMSG;
        snprintf(c->from, sizeof(c->from), "%s", line + 5);
        line = strtok_r(NULL, "\n", save);
    }
    if (line && !strncmp(line, "to ", 3)) {
        char *t = strchr(line + 3, ' ');
        if (!t)
            return -EBADMSG;
        *t++ = '\0';
        if (!host_ok(line + 3) || parse_time(t, &c->to_since) < 0)
            return -EBADMSG;
        snprintf(c->to, sizeof(c->to), "%s", line + 3);
        line = strtok_r(NULL, "\n", save);
    }
    return line ? -EBADMSG : 0;
}

int ceph_claim_parse(char *text, ceph_claim *c)
{
    *c = (ceph_claim){ 0 };
    char *save = NULL, *line;
    if (nfsroot_claim_parse_head(text, CLAIM_MAGIC, NFSROOT_CLAIM_HEAD(c), &save) < 0)
        return -EBADMSG;
    line = strtok_r(NULL, "\n", &save);
    if (!line || strncmp(line, "since ", 6) || parse_time(line + 6, &c->since) < 0)
        return -EBADMSG;
    if (parse_optional(strtok_r(NULL, "\n", &save), &save, c) < 0 || !host_ok(c->host))
        return -EBADMSG;
    return 0;
}

/* The claim on path: 0 and *ret, -ENOENT, or an error (one the reader refuses included). */
int ceph_claim_read(rados_conn *c, const char *domain, const char *path, ceph_claim *ret,
                    nfsroot_error *err)
{
    char oid[NFSROOT_PATH_MAX + 64];
    claim_oid(path, oid, sizeof(oid));
    _cleanup_free_ char *text = NULL;
    int r = rados_conn_read(c, oid, &text, err);
    if (r < 0)
        return r;
    if (strlen(text) > CLAIM_TEXT_MAX || ceph_claim_parse(text, ret) < 0 || strcmp(ret->path, path))
        return nfsroot_err(err, -EBADMSG, domain, "export path", path, 0,
                           "the claim on export path '%s' in the Ceph cluster (RADOS object "
                           "'%s') cannot be read: remove it with 'rados rm' once no host runs "
                           "the domain",
                           path, oid);
    return 0;
}

static int claim_write(rados_conn *c, const ceph_claim *cl, nfsroot_error *err)
{
    char oid[NFSROOT_PATH_MAX + 64], text[CLAIM_TEXT_MAX + 1];
    claim_oid(cl->path, oid, sizeof(oid));
    int r = ceph_claim_format(cl, text, sizeof(text));
    return r < 0 ? r : rados_conn_write(c, oid, text, NULL, NULL, err);
}

static int claim_remove(rados_conn *c, const char *path, nfsroot_error *err)
{
    char oid[NFSROOT_PATH_MAX + 64];
    claim_oid(path, oid, sizeof(oid));
    return rados_conn_remove(c, oid, err);
}

static void claim_mine(const char *me, const nfsroot_plan *plan, const char *path, ceph_claim *c)
{
    *c = (ceph_claim){ .since = (int64_t)time(NULL) };
    nfsroot_claim_head_set(NFSROOT_CLAIM_HEAD(c), me, plan, path);
}

/* Each read-write export e of plan: the export paths a claim is held for. */
#define FOREACH_RW_EXPORT(e, plan)                                                                 \
    for (const nfsroot_export *e = (plan)->exports; e < (plan)->exports + (plan)->n_exports; e++)  \
        if (e->readonly) {                                                                         \
        } else

static bool handover_to(const ceph_claim *cl, const char *me)
{
    int64_t now = (int64_t)time(NULL);
    return !strcmp(cl->to, me) && now >= cl->to_since &&
           now - cl->to_since <= CEPH_HANDOVER_MAX_AGE_S;
}

static int held_error(const nfsroot_policy *p, const nfsroot_plan *plan, const ceph_claim *cl,
                      nfsroot_error *err)
{
    char how[512];
    if (!strcmp(cl->uuid, plan->uuid))
        snprintf(how, sizeof(how),
                 "this domain on host '%s', where it runs: migrate it here "
                 "(virsh migrate) rather than start it twice",
                 cl->host);
    else
        snprintf(how, sizeof(how), "domain '%s' (uuid %s) on host '%s': stop it there first",
                 cl->domain, cl->uuid, cl->host);
    return nfsroot_err(err, -EBUSY, plan->domain, "export path", cl->path, 0,
                       "export path '%s' is claimed read-write in the Ceph cluster by %s, or if "
                       "host '%s' is gone for good, take its ganesha node out of the grace "
                       "database (ganesha-rados-grace --pool %s --ns %s remove %s)",
                       cl->path, how, cl->host, p->ceph_pool, p->ceph_namespace, cl->host);
}

/* May plan have the claim cl (held by another host)? 1 yes by hand-over, 2 yes since its holder
 * is out of the grace database, else refused. */
static int judge_other(rados_conn *c, const nfsroot_policy *p, const char *me,
                       const nfsroot_plan *plan, const ceph_claim *cl, nfsroot_error *err)
{
    if (!strcmp(cl->uuid, plan->uuid) && handover_to(cl, me))
        return 1;
    if (rados_conn_grace_member(c, cl->host) == 0)
        return 2;
    return held_error(p, plan, cl, err);
}

int ceph_claims_take(rados_conn *c, const nfsroot_policy *p, const nfsroot_plan *plan,
                     const char *me, const nfsroot_log *log, nfsroot_error *err)
{
    size_t n = plan->n_exports;
    _cleanup_free_ ceph_claim *want = calloc(n + 1, sizeof(*want));
    _cleanup_free_ bool *write = calloc(n + 1, sizeof(*write));
    if (!want || !write)
        return -ENOMEM;
    /* all judged before any is written: a refusal changes nothing */
    FOREACH_RW_EXPORT(e, plan) {
        size_t i = (size_t)(e - plan->exports);
        const char *path = e->path;
        ceph_claim cl;
        claim_mine(me, plan, path, &want[i]);
        write[i] = true;
        int r = ceph_claim_read(c, plan->domain, path, &cl, err);
        if (r == -ENOENT)
            continue;
        if (r < 0)
            return r;
        if (!strcmp(cl.host, me)) {
            /* ours already (kept as it is), or this host's of a domain it no longer runs */
            write[i] = strcmp(cl.uuid, plan->uuid) != 0;
            continue;
        }
        r = judge_other(c, p, me, plan, &cl, err);
        if (r < 0)
            return r;
        if (r == 1)
            snprintf(want[i].from, sizeof(want[i].from), "%s", cl.host);
        else
            nfsroot_logf(log, LOG_WARNING,
                         "domain '%s': export path '%s' was claimed by host '%s', whose ganesha "
                         "node is no longer in the grace database: claim taken over",
                         plan->domain, path, cl.host);
    }
    for (size_t i = 0; i < n; i++) {
        int r = write[i] ? claim_write(c, &want[i], err) : 0;
        if (r < 0)
            return r;
    }
    return 0;
}

/* One path's claim at a release: true when the domain runs on another host now (the claim is
 * that host's), after the hand-over's last step. */
static int handover_one(rados_conn *c, const char *me, const nfsroot_plan *plan, const char *path,
                        const nfsroot_log *log, bool *ret_away, nfsroot_error *err)
{
    ceph_claim cl;
    int r = ceph_claim_read(c, plan->domain, path, &cl, err);
    if (r == -ENOENT)
        return 0;
    if (r < 0 || strcmp(cl.uuid, plan->uuid))
        return r; /* never this domain's */
    bool source = strcmp(cl.host, me) != 0;
    if (!source && !cl.from[0])
        return 0; /* ours alone: a final release */
    *ret_away = true;
    if (source && strcmp(cl.from, me))
        return 0; /* another host's, not from here */
    /* The source's release ends a migration: the claim is the destination's alone. Or this
     * host took it over and stops the domain before the source released it: the migration
     * failed, and the domain still runs on the source, which gets it back. */
    if (!source)
        memcpy(cl.host, cl.from, sizeof(cl.host));
    cl.from[0] = '\0';
    cl.to[0] = '\0';
    nfsroot_logf(log, LOG_INFO,
                 "domain '%s': export path '%s' stays exported in the Ceph cluster for host "
                 "'%s', where the domain runs",
                 plan->domain, path, cl.host);
    return claim_write(c, &cl, err);
}

int ceph_claims_handover(rados_conn *c, const nfsroot_plan *plan, const char *me,
                         const nfsroot_log *log, bool *ret_away, nfsroot_error *err)
{
    *ret_away = false;
    FOREACH_RW_EXPORT(e, plan) {
        int r = handover_one(c, me, plan, e->path, log, ret_away, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Does plan (NULL: none) export path read-write? */
static bool has_rw(const nfsroot_plan *plan, const char *path)
{
    if (!plan)
        return false;
    FOREACH_RW_EXPORT(e, plan) {
        if (!strcmp(e->path, path))
            return true;
    }
    return false;
}

int ceph_claims_drop(rados_conn *c, const nfsroot_plan *plan, const nfsroot_plan *keep,
                     const char *me, nfsroot_error *err)
{
    FOREACH_RW_EXPORT(e, plan) {
        if (has_rw(keep, e->path))
            continue;
        ceph_claim cl;
        int r = ceph_claim_read(c, plan->domain, e->path, &cl, err);
        if (r == 0 && !strcmp(cl.uuid, plan->uuid) && !strcmp(cl.host, me))
            r = claim_remove(c, e->path, err);
        if (r < 0 && r != -ENOENT)
            return r;
    }
    return 0;
}

int ceph_claims_expect(rados_conn *c, const nfsroot_policy *p, const nfsroot_plan *plan,
                       const char *me, nfsroot_error *err)
{
    FOREACH_RW_EXPORT(e, plan) {
        const char *path = e->path;
        ceph_claim cl;
        int r = ceph_claim_read(c, plan->domain, path, &cl, err);
        if (r == -ENOENT)
            return nfsroot_err(err, -ENOENT, plan->domain, "export path", path, 0,
                               "no host claims export path '%s' in the Ceph cluster (pool '%s', "
                               "namespace '%s'): the domain does not run on its source host "
                               "with backend = ceph there",
                               path, p->ceph_pool, p->ceph_namespace);
        if (r < 0)
            return r;
        if (strcmp(cl.uuid, plan->uuid))
            return held_error(p, plan, &cl, err);
        if (!strcmp(cl.host, me))
            continue;
        snprintf(cl.to, sizeof(cl.to), "%s", me);
        cl.to_since = (int64_t)time(NULL);
        r = claim_write(c, &cl, err);
        if (r < 0)
            return r;
    }
    return 0;
}

int ceph_claims_check(rados_conn *c, const nfsroot_policy *p, const nfsroot_plan *plan,
                      const char *me, nfsroot_error *err)
{
    FOREACH_RW_EXPORT(e, plan) {
        ceph_claim cl;
        int r = ceph_claim_read(c, plan->domain, e->path, &cl, err);
        if (r == -ENOENT)
            continue;
        if (r == 0 && strcmp(cl.host, me))
            r = judge_other(c, p, me, plan, &cl, err);
        if (r < 0)
            return r;
    }
    return 0;
}
