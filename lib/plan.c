/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <nfsidmap.h>
#include <syslog.h>

#include "internal.h"

void nfsroot_plan_free(nfsroot_plan *plan)
{
    if (!plan)
        return;
    for (size_t i = 0; i < plan->n_exports; i++) {
        free(plan->exports[i].path);
        strv_free(plan->exports[i].clients);
        free(plan->exports[i].options);
    }
    free(plan->exports);
    free(plan->domain);
    free(plan->server);
    free(plan);
}
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
    for (size_t i = 0; i < ELEMENTSOF(extra); i++)
        if (extra[i] && (!strcmp(resolved, extra[i]) || path_is_under(resolved, extra[i]) ||
                         path_is_under(extra[i], resolved)))
            return nfsroot_err(err, -EPERM, name, "export path", NULL, 0,
                               "export path '%s' contains or lies in virt-nfsroot's own '%s'",
                               resolved, extra[i]);
    return 0;
}

/* ---- options ---------------------------------------------------------------------------- */

/* Options that exclude each other: asking for one replaces the other. */
static const char *const groups[][4] = {
    { "rw", "ro", NULL },
    { "sync", "async", NULL },
    { "root_squash", "no_root_squash", NULL },
    { "all_squash", "no_all_squash", NULL },
    { "secure", "insecure", NULL },
    { "wdelay", "no_wdelay", NULL },
    { "subtree_check", "no_subtree_check", NULL },
    { "hide", "nohide", NULL },
    { "crossmnt", "nocrossmnt", NULL },
};

static size_t opt_name_len(const char *o)
{
    return strcspn(o, "=");
}

static bool same_slot(const char *a, const char *b)
{
    size_t na = opt_name_len(a), nb = opt_name_len(b);
    if (na == nb && !strncmp(a, b, na))
        return true;
    for (size_t g = 0; g < ELEMENTSOF(groups); g++) {
        bool ina = false, inb = false;
        for (size_t i = 0; groups[g][i]; i++) {
            ina |= strlen(groups[g][i]) == na && !strncmp(groups[g][i], a, na);
            inb |= strlen(groups[g][i]) == nb && !strncmp(groups[g][i], b, nb);
        }
        if (ina && inb)
            return true;
    }
    return false;
}

static int check_option_syntax(const char *name, const char *field, const char *o,
                               nfsroot_error *err)
{
    if (strlen(o) > NFSROOT_OPTION_MAX)
        return nfsroot_err(err, -E2BIG, name, field, NULL, 0,
                           "option '%.40s...' is %zu characters long; an option may have at "
                           "most %d",
                           o, strlen(o), NFSROOT_OPTION_MAX);
    size_t n = opt_name_len(o);
    bool ok = n > 0;
    for (size_t i = 0; i < n; i++)
        ok &= islower((unsigned char)o[i]) || o[i] == '_';
    if (o[n] == '=') {
        const char *v = o + n + 1;
        ok &= *v != '\0';
        for (; *v; v++)
            ok &= isalnum((unsigned char)*v) || strchr("._:@-", *v) != NULL;
    }
    if (!ok)
        return nfsroot_err(err, -EINVAL, name, field, NULL, 0,
                           "option '%.100s' is not of the form name or name=value (letters, "
                           "digits, '._:@-')",
                           o);
    return 0;
}

/* anonuser=NAME / anongroup=NAME -> anonuid/anongid through the NFSv4 id mapper. */
static int map_anon(const char *name, const char *o, char **ret, nfsroot_error *err)
{
    bool user = !strncmp(o, "anonuser=", 9);
    const char *who = strchr(o, '=') + 1;
    _cleanup_free_ char *copy = strdup(who);
    if (!copy)
        return -ENOMEM;
    (void)nfs4_init_name_mapping(NULL);
    unsigned long id;
    int r;
    if (user) {
        uid_t uid;
        r = nfs4_name_to_uid(copy, &uid);
        id = uid;
    } else {
        gid_t gid;
        r = nfs4_name_to_gid(copy, &gid);
        id = gid;
    }
    if (r != 0)
        return nfsroot_err(err, -ENOENT, name, "options", NULL, 0,
                           "%s '%s' is not known to the NFSv4 id mapper (libnfsidmap)",
                           user ? "anonuser" : "anongroup", who);
    char buf[64];
    snprintf(buf, sizeof(buf), "%s=%lu", user ? "anonuid" : "anongid", id);
    *ret = strdup(buf);
    return *ret ? 0 : -ENOMEM;
}

static int set_option(char ***opts, const char *o)
{
    for (size_t i = 0; (*opts)[i]; i++)
        if (same_slot((*opts)[i], o)) {
            char *n = strdup(o);
            if (!n)
                return -ENOMEM;
            free((*opts)[i]);
            (*opts)[i] = n;
            return 0;
        }
    return strv_push(opts, o);
}

static int build_options(const nfsroot_policy *p, const char *name, const nfsroot_export_req *req,
                         bool *ret_readonly, char **ret, nfsroot_error *err)
{
    _cleanup_strv_free_ char **opts = strv_split(p->default_options, ",");
    if (!opts)
        return -ENOMEM;
    for (char **o = opts; *o; o++) {
        int r = check_option_syntax(name, "policy default_options", *o, err);
        if (r < 0)
            return r;
    }
    _cleanup_strv_free_ char **asked = strv_split(req->options ? req->options : "", ",");
    if (!asked)
        return -ENOMEM;
    bool readonly = req->readonly;
    for (char **o = asked; *o; o++) {
        int r = check_option_syntax(name, "options", *o, err);
        if (r < 0)
            return r;
        _cleanup_free_ char *optname = strndup(*o, opt_name_len(*o));
        if (!optname)
            return -ENOMEM;
        if (!strv_contains(p->allowed_options, optname)) {
            _cleanup_free_ char *allowed = strv_join(p->allowed_options, ",");
            return nfsroot_err(err, -EPERM, name, "options", NULL, 0,
                               "option '%s' is not allowed by the host policy (allowed: %s)",
                               optname, allowed ? allowed : "");
        }
        if (!strcmp(optname, "rw") && req->readonly)
            return nfsroot_err(err, -EINVAL, name, "options", NULL, 0,
                               "option 'rw' contradicts readonly='yes'");
        if (!strcmp(optname, "ro"))
            readonly = true;
        _cleanup_free_ char *mapped = NULL;
        if (!strcmp(optname, "anonuser") || !strcmp(optname, "anongroup")) {
            int r2 = map_anon(name, *o, &mapped, err);
            if (r2 < 0)
                return r2;
        }
        r = set_option(&opts, mapped ? mapped : *o);
        if (r < 0)
            return r;
    }
    if (readonly && set_option(&opts, "ro") < 0)
        return -ENOMEM;
    _cleanup_free_ char *joined = strv_join(opts, ",");
    if (!joined)
        return -ENOMEM;
    if (strlen(joined) > NFSROOT_OPTIONS_MAX)
        return nfsroot_err(err, -E2BIG, name, "options", NULL, 0,
                           "options '%.60s...' come to %zu characters with the host's defaults; "
                           "an export may have at most %d",
                           joined, strlen(joined), NFSROOT_OPTIONS_MAX);
    *ret_readonly = readonly;
    *ret = TAKE_PTR(joined);
    return 0;
}

/* May an option of this name stand in a built export's options? The names of the policy's
 * defaults and allowed list, "ro" (readonly='yes') and the ids anonuser/anongroup map to. */
static bool option_name_permitted(const nfsroot_policy *p, const char *o)
{
    size_t n = opt_name_len(o);
    _cleanup_free_ char *optname = strndup(o, n);
    if (!optname)
        return false;
    if (strv_contains(p->allowed_options, optname) || !strcmp(optname, "ro") ||
        (!strcmp(optname, "anonuid") && strv_contains(p->allowed_options, "anonuser")) ||
        (!strcmp(optname, "anongid") && strv_contains(p->allowed_options, "anongroup")))
        return true;
    _cleanup_strv_free_ char **defaults = strv_split(p->default_options, ",");
    for (char **d = defaults; d && *d; d++)
        if (opt_name_len(*d) == n && !strncmp(*d, o, n))
            return true;
    return false;
}

static int check_built_options(const nfsroot_policy *p, const char *name, const nfsroot_export *e,
                               nfsroot_error *err)
{
    size_t len = strlen(e->options);
    if (len == 0 || len > NFSROOT_OPTIONS_MAX)
        return nfsroot_err(err, -E2BIG, name, "options", NULL, 0,
                           "options '%.60s...' of export path '%.200s' are %zu characters long; "
                           "an export may have 1 to %d",
                           e->options, e->path, len, NFSROOT_OPTIONS_MAX);
    _cleanup_strv_free_ char **opts = strv_split(e->options, ",");
    if (!opts)
        return -ENOMEM;
    bool ro = false, rw = false;
    for (size_t i = 0; opts[i]; i++) {
        int r = check_option_syntax(name, "options", opts[i], err);
        if (r < 0)
            return r;
        if (!option_name_permitted(p, opts[i]))
            return nfsroot_err(err, -EPERM, name, "options", NULL, 0,
                               "option '%s' is not allowed by the host policy", opts[i]);
        for (size_t j = 0; j < i; j++)
            if (same_slot(opts[j], opts[i]))
                return nfsroot_err(err, -EINVAL, name, "options", NULL, 0,
                                   "options '%s' and '%s' contradict each other", opts[j], opts[i]);
        ro |= !strcmp(opts[i], "ro");
        rw |= !strcmp(opts[i], "rw");
    }
    if (e->readonly && (!ro || rw))
        return nfsroot_err(err, -EINVAL, name, "options", NULL, 0,
                           "export path '%.200s' is read-only but its options '%.60s' lack 'ro'",
                           e->path, e->options);
    return 0;
}

static int check_built_clients(const char *name, const nfsroot_export *e, nfsroot_error *err)
{
    size_t n = strv_length(e->clients);
    if (n == 0 || n > NFSROOT_CLIENTS_MAX)
        return nfsroot_err(err, -E2BIG, name, "clients", NULL, 0,
                           "export path '%.200s' has %zu clients; an export may have 1 to %d",
                           e->path, n, NFSROOT_CLIENTS_MAX);
    for (size_t i = 0; i < n; i++) {
        nfsroot_cidr c;
        char buf[64];
        if (nfsroot_cidr_parse(e->clients[i], &c) < 0 ||
            strcmp(nfsroot_cidr_format(&c, buf, sizeof(buf)), e->clients[i]) != 0)
            return nfsroot_err(err, -EINVAL, name, "clients", NULL, 0,
                               "client '%.100s' is not a canonical numeric CIDR", e->clients[i]);
        if (c.prefix == 0)
            return nfsroot_err(err, -EPERM, name, "clients", NULL, 0,
                               "client '%s' would export to every address", e->clients[i]);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(e->clients[j], e->clients[i]))
                return nfsroot_err(err, -EINVAL, name, "clients", NULL, 0,
                                   "client '%s' is listed twice", e->clients[i]);
    }
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
        r = check_built_options(p, name, e, err);
    if (r >= 0)
        r = check_built_clients(name, e, err);
    return r;
}

/* ---- clients ---------------------------------------------------------------------------- */

static bool inside_any(nfsroot_netinfo *const *nets, size_t n, const nfsroot_cidr *c)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < nets[i]->n_subnets; j++)
            if (nfsroot_cidr_contains(&nets[i]->subnets[j], c))
                return true;
    return false;
}

static int build_clients(const nfsroot_policy *p, const char *name, const nfsroot_export_req *req,
                         nfsroot_netinfo *const *nets, size_t n_nets, char **defaults, char ***ret,
                         nfsroot_error *err)
{
    if (!req->clients) {
        char **c = strv_copy(defaults);
        if (!c)
            return -ENOMEM;
        *ret = c;
        return 0;
    }
    if (req->clients[0] == '\0')
        return nfsroot_err(err, -EINVAL, name, "clients", NULL, 0, "clients is empty");
    size_t listed = 1;
    for (const char *q = req->clients; *q; q++)
        listed += *q == ',';
    if (listed > NFSROOT_CLIENTS_MAX)
        return nfsroot_err(err, -E2BIG, name, "clients", NULL, 0,
                           "clients '%.60s...' lists %zu entries; an export may have at most %d",
                           req->clients, listed, NFSROOT_CLIENTS_MAX);
    _cleanup_strv_free_ char **out = calloc(1, sizeof(char *));
    if (!out)
        return -ENOMEM;
    const char *s = req->clients;
    for (;;) {
        size_t n = strcspn(s, ",");
        _cleanup_free_ char *item = strndup(s, n);
        if (!item)
            return -ENOMEM;
        nfsroot_cidr c;
        int r = nfsroot_cidr_parse(item, &c);
        if (r == -EDOM)
            return nfsroot_err(err, -EINVAL, name, "clients", NULL, 0,
                               "client '%.100s' has host bits set below its prefix", item);
        if (r < 0)
            return nfsroot_err(err, -EINVAL, name, "clients", NULL, 0,
                               "client '%.100s' is not a numeric address or CIDR (no names, "
                               "wildcards, netgroups or spaces)",
                               item);
        char buf[64];
        nfsroot_cidr_format(&c, buf, sizeof(buf));
        if (c.prefix == 0)
            return nfsroot_err(err, -EPERM, name, "clients", NULL, 0,
                               "client '%s' would export to every address", item);
        if (!inside_any(nets, n_nets, &c) && !p->allow_wider_clients) {
            char subnets[256] = "";
            for (size_t i = 0; i < n_nets; i++)
                for (size_t j = 0; j < nets[i]->n_subnets; j++) {
                    char sb[64];
                    nfsroot_cidr_format(&nets[i]->subnets[j], sb, sizeof(sb));
                    size_t l = strlen(subnets);
                    snprintf(subnets + l, sizeof(subnets) - l, "%s%s", l ? ", " : "", sb);
                }
            return nfsroot_err(err, -EPERM, name, "clients", NULL, 0,
                               "client '%s' is outside the domain's network (%s) and the host "
                               "policy does not allow wider clients",
                               buf, subnets);
        }
        if (!strv_contains(out, buf) && strv_push(&out, buf) < 0)
            return -ENOMEM;
        if (!s[n])
            break;
        s += n + 1;
    }
    *ret = TAKE_PTR(out);
    return 0;
}

static int load_networks(const nfsroot_policy *p, const nfsroot_domain *d, nfsroot_netinfo ***ret,
                         size_t *ret_n, nfsroot_error *err)
{
    nfsroot_netinfo **nets = calloc(d->n_nics + 1, sizeof(*nets));
    if (!nets)
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < d->n_nics; i++) {
        if (d->nics[i].type == NFSROOT_NIC_OTHER)
            continue;
        int r = nfsroot_netinfo_load(p, d, &d->nics[i], &nets[n], err);
        if (r < 0) {
            for (size_t j = 0; j < n; j++)
                nfsroot_netinfo_free(nets[j]);
            free(nets);
            return r;
        }
        n++;
    }
    if (n == 0) {
        free(nets);
        return nfsroot_err(err, -ENONET, d->name, "interface", NULL, 0,
                           "no interface of type 'network' or 'bridge', so no NFS client can "
                           "be derived: add one");
    }
    *ret = nets;
    *ret_n = n;
    return 0;
}

static int default_clients(const nfsroot_policy *p, const nfsroot_domain *d,
                           const nfsroot_netinfo *primary, const nfsroot_log *log, char ***ret,
                           bool *ret_wide, nfsroot_error *err)
{
    _cleanup_strv_free_ char **out = calloc(1, sizeof(char *));
    if (!out)
        return -ENOMEM;
    char buf[64];
    if (primary->pinned.family) {
        nfsroot_cidr_format(&primary->pinned, buf, sizeof(buf));
        if (strv_push(&out, buf) < 0)
            return -ENOMEM;
        *ret_wide = false;
    } else {
        if (!p->allow_subnet_fallback)
            return nfsroot_err(err, -EPERM, d->name, "clients", NULL, 0,
                               "network '%s' has no static DHCP host for this domain's MAC "
                               "and the host policy refuses subnet-wide exports: pin an address "
                               "with 'virt-nfsroot annotate --pin-address'",
                               primary->name);
        for (size_t j = 0; j < primary->n_subnets; j++) {
            nfsroot_cidr_format(&primary->subnets[j], buf, sizeof(buf));
            if (strv_push(&out, buf) < 0)
                return -ENOMEM;
        }
        _cleanup_free_ char *list = strv_join(out, ", ");
        nfsroot_logf(log, LOG_WARNING,
                     "domain '%s': no static DHCP host pins its MAC on network '%s': exporting "
                     "to the whole subnet %s (pin one with 'virt-nfsroot annotate "
                     "--pin-address')",
                     d->name, primary->name, list ? list : "");
        *ret_wide = true;
    }
    *ret = TAKE_PTR(out);
    return 0;
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
    r = build_clients(p, d->name, req, nets, n_nets, defaults, &e->clients, err);
    if (r < 0)
        return r;
    e->is_root = req->is_root;
    r = build_options(p, d->name, req, &e->readonly, &e->options, err);
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

    nfsroot_netinfo **nets = NULL;
    size_t n_nets = 0;
    int r = load_networks(p, d, &nets, &n_nets, err);
    if (r < 0)
        return r;
    _cleanup_strv_free_ char **defaults = NULL;
    r = default_clients(p, d, nets[0], log, &defaults, &plan->subnet_wide, err);
    for (size_t i = 0; r >= 0 && i < nets[0]->n_host_addrs && !plan->server; i++) {
        char a[64];
        nfsroot_cidr_format(&nets[0]->host_addrs[i], a, sizeof(a));
        *strchr(a, '/') = '\0';
        if (nets[0]->host_addrs[i].family == AF_INET || i + 1 == nets[0]->n_host_addrs)
            plan->server = strdup(a);
    }
    for (size_t i = 0; r >= 0 && i < d->n_exports; i++) {
        r = build_export(p, d, &d->exports[i], nets, n_nets, defaults, &plan->exports[i], err);
        plan->n_exports = i + 1;
        for (size_t j = 0; r >= 0 && j < i; j++)
            r = check_nesting(d->name, &plan->exports[j], &plan->exports[i], err);
    }
    for (size_t i = 0; i < n_nets; i++)
        nfsroot_netinfo_free(nets[i]);
    free(nets);
    if (r >= 0)
        r = check_plan_size(plan, err);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(plan);
    return 0;
}

bool nfsroot_plan_has(const nfsroot_plan *plan, const char *path, const char *client)
{
    for (size_t i = 0; plan && i < plan->n_exports; i++)
        if (!strcmp(plan->exports[i].path, path) && strv_contains(plan->exports[i].clients, client))
            return true;
    return false;
}

char *nfsroot_export_format_line(const nfsroot_export *e)
{
    size_t len = strlen(e->path) + 2;
    for (size_t i = 0; e->clients[i]; i++)
        len += strlen(e->clients[i]) + strlen(e->options) + 4;
    char *out = malloc(len);
    if (!out)
        return NULL;
    char *q = stpcpy(out, e->path);
    for (size_t i = 0; e->clients[i]; i++)
        q += sprintf(q, " %s(%s)", e->clients[i], e->options);
    return out;
}
