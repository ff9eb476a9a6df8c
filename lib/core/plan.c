/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>

#include "claim.h"
#include "clients.h"
#include "core.h"
#include "options.h"

/* The domain name belongs in every error; lower layers do not know it. */
static int with_domain(nfsroot_error *err, const char *name, int r)
{
    if (err && err->code == r && !err->domain[0])
        snprintf(err->domain, sizeof(err->domain), "%s", name);
    return r;
}

/* Directories no guest may ever get, whatever the export roots say. */
static const char *const forbidden[] = {
    "/etc", "/proc", "/sys",  "/dev", "/run",   "/boot",        "/root",
    "/usr", "/bin",  "/sbin", "/lib", "/lib64", "/var/lib/nfs", "/var/lib/libvirt",
    NULL
};

static int check_forbidden(const nfsroot_policy *p, const char *name, const char *resolved,
                           nfsroot_error *err)
{
    const char *extra[] = { p->state_dir, p->exports_dir, p->ganesha_exports_dir };
    for (size_t i = 0; forbidden[i]; i++)
        if (!strcmp(resolved, forbidden[i]) || path_is_under(resolved, forbidden[i]))
            return nfsroot_err(err, -EPERM, name, "export path", NULL, 0,
                               "export path '%s' lies in '%s', which is never exported", resolved,
                               forbidden[i]);
    size_t len = strlen(resolved), reg = strlen("/" NFSROOT_REGISTRY_NAME);
    if (strstr(resolved, "/" NFSROOT_REGISTRY_NAME "/") ||
        (len >= reg && !strcmp(resolved + len - reg, "/" NFSROOT_REGISTRY_NAME)))
        return nfsroot_err(err, -EPERM, name, "export path", NULL, 0,
                           "export path '%s' lies in a claims registry '" NFSROOT_REGISTRY_NAME
                           "', which is never exported",
                           resolved);
    for (size_t i = 0; i < ELEMENTSOF(extra); i++)
        if (extra[i] && (!strcmp(resolved, extra[i]) || path_is_under(resolved, extra[i]) ||
                         path_is_under(extra[i], resolved)))
            return nfsroot_err(err, -EPERM, name, "export path", NULL, 0,
                               "export path '%s' contains or lies in virt-nfsroot's own '%s'",
                               resolved, extra[i]);
    return 0;
}

/* The path is what resolving it below an export root (the root's own symlinks followed, as at
 * prepare) gives back unchanged, and holds no symlink at all. */
static int check_built_path(const nfsroot_policy *p, const char *name, const char *path,
                            nfsroot_error *err)
{
    if (strlen(path) > NFSROOT_PATH_MAX)
        return nfsroot_err(err, -ENAMETOOLONG, name, "export path", NULL, 0,
                           "export path of %zu bytes is too long (at most %d)", strlen(path),
                           NFSROOT_PATH_MAX);
    _cleanup_strv_free_ char **real_roots = calloc(1, sizeof(char *));
    if (!real_roots)
        return -ENOMEM;
    for (size_t i = 0; p->export_roots && p->export_roots[i]; i++) {
        _cleanup_free_ char *rr = realpath(p->export_roots[i], NULL);
        if (rr && strv_push(&real_roots, rr) < 0)
            return -ENOMEM;
    }
    _cleanup_free_ char *resolved = NULL;
    int r = nfsroot_path_resolve(path, real_roots, &resolved, err);
    if (r < 0)
        return with_domain(err, name, r);
    if (strcmp(resolved, path) != 0)
        return nfsroot_err(err, -EXDEV, name, "export path", NULL, 0,
                           "export path '%s' now resolves to '%s'", path, resolved);
    r = check_forbidden(p, name, resolved, err);
    if (r < 0)
        return r;
    return with_domain(err, name, nfsroot_path_verify(resolved, err));
}

int nfsroot_export_check(const nfsroot_policy *p, const char *name, const nfsroot_export *e,
                         nfsroot_error *err)
{
    if (!e->path || !e->options || !e->clients)
        return nfsroot_err(err, -EINVAL, name, "export", NULL, 0, "export is incomplete");
    int r = check_built_path(p, name, e->path, err);
    if (r >= 0)
        r = nfsroot_options_check(p, name, e, err);
    if (r >= 0)
        r = nfsroot_clients_check(name, e, err);
    return r;
}

static int build_export(const nfsroot_policy *p, const nfsroot_domain *d,
                        const nfsroot_export_req *req, nfsroot_netinfo *const *nets, size_t n_nets,
                        char **defaults, nfsroot_export *e, nfsroot_error *err)
{
    char def[4096];
    const char *path = req->path;
    if (!path) {
        snprintf(def, sizeof(def), "%s/%s", p->export_roots[0], d->name);
        path = def;
    }
    int r = nfsroot_path_resolve(path, p->export_roots, &e->path, err);
    if (r < 0)
        return with_domain(err, d->name, r);
    r = check_forbidden(p, d->name, e->path, err);
    if (r < 0)
        return r;
    r = nfsroot_clients_build(p, d->name, req, nets, n_nets, defaults, &e->clients, err);
    if (r < 0)
        return r;
    e->is_root = req->is_root;
    r = nfsroot_options_build(p, d->name, req, &e->readonly, &e->options, err);
    if (r < 0)
        return r;
    return nfsroot_export_check(p, d->name, e, err);
}

/* Every (path, client) pair is one exportfs run under the host-wide lock. */
static int check_plan_size(const nfsroot_plan *plan, nfsroot_error *err)
{
    size_t pairs = 0;
    for (size_t i = 0; i < plan->n_exports; i++)
        pairs += strv_length(plan->exports[i].clients);
    if (pairs > NFSROOT_PAIRS_MAX)
        return nfsroot_err(err, -E2BIG, plan->domain, "clients", NULL, 0,
                           "the exports come to %zu (path, client) pairs; a domain may have at "
                           "most %d (each is one exportfs run under the host-wide lock)",
                           pairs, NFSROOT_PAIRS_MAX);
    return 0;
}

/* Inside its rw export the guest is root: it can replace a directory holding another of its
 * exports with a symbolic link to any host directory, which exportfs then follows. So, as
 * between domains, nesting is only fine when both are read-only. */
static int check_nesting(const char *name, const nfsroot_export *a, const nfsroot_export *b,
                         nfsroot_error *err)
{
    if (!strcmp(a->path, b->path))
        return nfsroot_err(err, -EINVAL, name, "export path", NULL, 0,
                           "export path '%s' is listed twice", b->path);
    const nfsroot_export *outer = path_is_under(b->path, a->path)   ? a
                                  : path_is_under(a->path, b->path) ? b
                                                                    : NULL;
    if (!outer || (a->readonly && b->readonly))
        return 0;
    const nfsroot_export *inner = outer == a ? b : a;
    return nfsroot_err(err, -EPERM, name, "export path", NULL, 0,
                       "export path '%s' lies inside export path '%s' of the same domain and "
                       "one of them is read-write: the guest could replace it with a symbolic "
                       "link to any host directory; export only '%s', or both read-only",
                       inner->path, outer->path, outer->path);
}

/* The address the guest mounts from: the host's first IPv4 address on the primary network, else
 * its last one there. */
static char *server_address(const nfsroot_netinfo *primary)
{
    char *server = NULL;
    for (size_t i = 0; i < primary->n_host_addrs && !server; i++) {
        char a[64];
        nfsroot_cidr_format(&primary->host_addrs[i], a, sizeof(a));
        *strchr(a, '/') = '\0';
        if (primary->host_addrs[i].family == AF_INET || i + 1 == primary->n_host_addrs)
            server = strdup(a);
    }
    return server;
}

/* The server address and every export the metadata lists, each checked against those before it,
 * into plan (whose exports array holds d->n_exports). */
static int build_exports(const nfsroot_policy *p, const nfsroot_domain *d, const nfsroot_log *log,
                         nfsroot_plan *plan, nfsroot_error *err)
{
    nfsroot_netinfo **nets = NULL;
    size_t n_nets = 0;
    int r = nfsroot_networks_load(p, d, &nets, &n_nets, err);
    if (r < 0)
        return r;
    _cleanup_strv_free_ char **defaults = NULL;
    r = nfsroot_clients_default(p, d, nets[0], log, &defaults, &plan->subnet_wide, err);
    if (r >= 0) {
        plan->server = server_address(nets[0]);
        plan->network = strdup(nets[0]->name);
        memcpy(plan->bridge_mac, nets[0]->bridge_mac, sizeof(plan->bridge_mac));
        plan->bridge_stp = nets[0]->bridge_stp;
        r = plan->network ? 0 : -ENOMEM;
    }
    for (size_t i = 0; r >= 0 && i < d->n_exports; i++) {
        r = build_export(p, d, &d->exports[i], nets, n_nets, defaults, &plan->exports[i], err);
        plan->n_exports = i + 1;
        for (size_t j = 0; r >= 0 && j < i; j++)
            r = check_nesting(d->name, &plan->exports[j], &plan->exports[i], err);
    }
    nfsroot_networks_free(nets, n_nets);
    return r;
}

int nfsroot_plan_build(const nfsroot_policy *p, const nfsroot_domain *d, const nfsroot_log *log,
                       nfsroot_plan **ret, nfsroot_error *err)
{
    if (!d->has_metadata)
        return nfsroot_err(err, -ENODATA, d->name, "metadata", NULL, 0,
                           "domain has no virt-nfsroot metadata");
    _cleanup_(nfsroot_plan_freep) nfsroot_plan *plan = calloc(1, sizeof(*plan));
    if (!plan || !(plan->domain = strdup(d->name)))
        return -ENOMEM;
    if (!d->uuid[0])
        return nfsroot_err(err, -EINVAL, d->name, "uuid", NULL, 0,
                           "domain XML has no <uuid>, which names its export records");
    memcpy(plan->uuid, d->uuid, sizeof(plan->uuid));
    if (d->n_exports > NFSROOT_EXPORTS_MAX)
        return nfsroot_err(err, -E2BIG, d->name, "metadata", NULL, 0,
                           "the metadata lists %zu exports; a domain may have at most %d",
                           d->n_exports, NFSROOT_EXPORTS_MAX);
    plan->exports = calloc(d->n_exports, sizeof(*plan->exports));
    if (!plan->exports)
        return -ENOMEM;
    int r = build_exports(p, d, log, plan, err);
    if (r >= 0)
        r = check_plan_size(plan, err);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(plan);
    return 0;
}

DEFINE_ACCESSOR(const char *, nfsroot_plan_get_domain, nfsroot_plan, x->domain)
DEFINE_ACCESSOR(const char *, nfsroot_plan_get_uuid, nfsroot_plan, x->uuid)
DEFINE_ACCESSOR(const char *, nfsroot_plan_get_server, nfsroot_plan, x->server)
DEFINE_ACCESSOR(bool, nfsroot_plan_is_subnet_wide, nfsroot_plan, x->subnet_wide)
DEFINE_ACCESSOR(size_t, nfsroot_plan_get_n_exports, nfsroot_plan, x->n_exports)

const nfsroot_export *nfsroot_plan_get_export(const nfsroot_plan *plan, size_t i)
{
    return i < plan->n_exports ? &plan->exports[i] : NULL;
}

DEFINE_ACCESSOR(const char *, nfsroot_export_get_path, nfsroot_export, x->path)
DEFINE_ACCESSOR(const char *const *, nfsroot_export_get_clients, nfsroot_export,
                (const char *const *)x->clients)
DEFINE_ACCESSOR(const char *, nfsroot_export_get_options, nfsroot_export, x->options)
DEFINE_ACCESSOR(bool, nfsroot_export_is_readonly, nfsroot_export, x->readonly)
DEFINE_ACCESSOR(bool, nfsroot_export_is_root, nfsroot_export, x->is_root)
