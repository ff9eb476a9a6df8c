/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's qemu hook contract (docs/hooks.rst), as one library call. */
#include <syslog.h>

#include "core.h"

static bool is(const char *a, const char *b)
{
    return a && !strcmp(a, b);
}

/* Errors without a domain name get the one libvirt passed in argv. */
static int named(nfsroot_error *err, const char *domain, int r)
{
    if (r < 0 && err && !err->domain[0] && domain)
        snprintf(err->domain, sizeof(err->domain), "%s", domain);
    return r;
}

/* starting: the guest runs nowhere here yet (prepare, not reconnect, whose guest runs). */
static int hook_prepare(const nfsroot_hook_args *a, const nfsroot_policy *p,
                        const nfsroot_domain *d, bool starting, nfsroot_error *err)
{
    _cleanup_(nfsroot_plan_freep) nfsroot_plan *plan = NULL;
    int r = nfsroot_plan_build(p, d, a->log, &plan, err);
    if (r < 0)
        return r;
    /* A guest that cannot boot from the export is refused before anything is exported. */
    if (p->validate != NFSROOT_VALIDATE_OFF) {
        _cleanup_(nfsroot_findings_freep) nfsroot_findings *f = NULL;
        r = nfsroot_bootcheck_run(p, d, plan, &f, err);
        if (r < 0)
            return r;
        r = nfsroot_bootcheck_enforce(p, d, f, a->log, err);
        if (r < 0)
            return r;
    }
    r = nfsroot_apply(p, plan, a->log, err);
    if (r == 0 && starting)
        nfsroot_close_stale(plan, a->log);
    return r;
}

/* libvirtd restarted while the guest runs: put back whatever went missing. Never fatal. */
static int hook_reconnect(const nfsroot_hook_args *a, const nfsroot_policy *p,
                          const nfsroot_domain *d)
{
    nfsroot_error e = { 0 };
    int r = nfsroot_ensure(p, d->name, a->log, &e);
    if (r == -ENOENT) {
        nfsroot_error_clear(&e);
        r = hook_prepare(a, p, d, false, &e);
    }
    if (r < 0) {
        char buf[2048];
        nfsroot_logf(a->log, LOG_ERR, "%s (at reconnect; the guest keeps running)",
                     nfsroot_error_format(&e, buf, sizeof(buf)));
    }
    return 0;
}

static int hook_release(const nfsroot_hook_args *a, nfsroot_error *err)
{
    _cleanup_(nfsroot_policy_freep) nfsroot_policy *p = NULL;
    int r = nfsroot_policy_load(NULL, &p, err);
    if (r == 0)
        r = nfsroot_remove(p, a->domain, a->log, err);
    return named(err, a->domain, r);
}

int nfsroot_hook_run(const nfsroot_hook_args *a, nfsroot_error *err)
{
    bool prepare = is(a->op, "prepare") && is(a->subop, "begin");
    bool release = is(a->op, "release") && is(a->subop, "end");
    bool reconnect = is(a->op, "reconnect") && is(a->subop, "begin");
    /* An incoming live migration, on the destination before anything moves. Like restore, a
     * filter: silence keeps the XML as it is, a failure refuses the migration. */
    bool migrate = is(a->op, "migrate") && is(a->subop, "begin");
    if (!prepare && !release && !reconnect && !migrate)
        return 0;

    /* release removes what the record of the name libvirt passes says (the <name> of the XML
     * it writes to stdin is that same name): the stop-time XML is never read, so a release
     * loads no libxml2 (xml.h). */
    if (release)
        return hook_release(a, err);

    _cleanup_(nfsroot_domain_freep) nfsroot_domain *d = NULL;
    int r = nfsroot_domain_parse(a->xml, a->xml_len, &d, err);
    if (r < 0) {
        if (reconnect) {
            char buf[2048];
            nfsroot_logf(a->log, LOG_ERR, "%s", nfsroot_error_format(err, buf, sizeof(buf)));
            nfsroot_error_clear(err);
            return 0;
        }
        return named(err, a->domain, r);
    }
    if (!d->has_metadata)
        return 0;

    _cleanup_(nfsroot_policy_freep) nfsroot_policy *p = NULL;
    r = nfsroot_policy_load(NULL, &p, err);
    if (r < 0)
        return reconnect ? 0 : named(err, a->domain, r);

    if (prepare)
        return named(err, a->domain, hook_prepare(a, p, d, true, err));
    if (migrate)
        return named(err, a->domain, nfsroot_migrate_check(p, d, a->log, err));
    return hook_reconnect(a, p, d);
}

const char *nfsroot_version(void)
{
    return NFSROOT_VERSION;
}
