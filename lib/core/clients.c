/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The clients of an export: numeric CIDRs inside the domain's networks, the default client (the
 * pinned address or, if the policy allows, the subnet) and the limits on them. */
#include <syslog.h>

#include "clients.h"
#include "core.h"

static bool inside_any(nfsroot_netinfo *const *nets, size_t n, const nfsroot_cidr *c)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < nets[i]->n_subnets; j++)
            if (nfsroot_cidr_contains(&nets[i]->subnets[j], c))
                return true;
    return false;
}

/* The subnets of nets, ", "-separated, for a sentence (cut at len). */
static void format_subnets(nfsroot_netinfo *const *nets, size_t n_nets, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n_nets; i++)
        for (size_t j = 0; j < nets[i]->n_subnets; j++) {
            char sb[64];
            nfsroot_cidr_format(&nets[i]->subnets[j], sb, sizeof(sb));
            size_t l = strlen(buf);
            snprintf(buf + l, len - l, "%s%s", l ? ", " : "", sb);
        }
}

/* One client the XML asks for, canonical in buf: a numeric address or CIDR with a prefix, inside
 * the domain's networks unless the policy allows wider clients. */
static int build_client(const nfsroot_policy *p, const char *name, const char *item,
                        nfsroot_netinfo *const *nets, size_t n_nets, char buf[static 64],
                        nfsroot_error *err)
{
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
    nfsroot_cidr_format(&c, buf, 64);
    if (c.prefix == 0)
        return nfsroot_err(err, -EPERM, name, "clients", NULL, 0,
                           "client '%s' would export to every address", item);
    if (!inside_any(nets, n_nets, &c) && !p->allow_wider_clients) {
        char subnets[256];
        format_subnets(nets, n_nets, subnets, sizeof(subnets));
        return nfsroot_err(err, -EPERM, name, "clients", NULL, 0,
                           "client '%s' is outside the domain's network (%s) and the host "
                           "policy does not allow wider clients",
                           buf, subnets);
    }
    return 0;
}

int nfsroot_clients_build(const nfsroot_policy *p, const char *name, const nfsroot_export_req *req,
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
    for (const char *s = req->clients;;) {
        size_t n = strcspn(s, ",");
        _cleanup_free_ char *item = strndup(s, n);
        if (!item)
            return -ENOMEM;
        char buf[64];
        int r = build_client(p, name, item, nets, n_nets, buf, err);
        if (r < 0)
            return r;
        if (!strv_contains(out, buf) && strv_push(&out, buf) < 0)
            return -ENOMEM;
        if (!s[n])
            break;
        s += n + 1;
    }
    *ret = TAKE_PTR(out);
    return 0;
}

void nfsroot_networks_free(nfsroot_netinfo **nets, size_t n)
{
    for (size_t i = 0; nets && i < n; i++)
        nfsroot_netinfo_free(nets[i]);
    free(nets);
}

int nfsroot_networks_load(const nfsroot_policy *p, const nfsroot_domain *d, nfsroot_netinfo ***ret,
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
            nfsroot_networks_free(nets, n);
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

int nfsroot_clients_default(const nfsroot_policy *p, const nfsroot_domain *d,
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

int nfsroot_clients_check(const char *name, const nfsroot_export *e, nfsroot_error *err)
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
