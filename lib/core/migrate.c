/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `migrate begin` on the destination of a live migration: libvirt asks before anything moves,
 * and a refusal leaves the guest running on the source, untouched. What can be checked here
 * without any record from the source is what every host must have alike for the guest to keep
 * its root: the export paths (resolved under an export root with the rules of prepare; the same
 * directory on shared storage, named by the same derived fsid / Export_Id), the guest's network
 * with its NFS server address and the bridge MAC every host derives for it, and a server that
 * can take the exports now. */
#include <arpa/inet.h>

#include "bootcheck/bootcheck-private.h"
#include "clients.h"
#include "core.h"

static bool host_has_address(const nfsroot_netinfo *net, const nfsroot_cidr *a)
{
    size_t len = a->family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < net->n_host_addrs; i++)
        if (net->host_addrs[i].family == a->family &&
            !memcmp(net->host_addrs[i].addr, a->addr, len))
            return true;
    return false;
}

/* The server in the guest's root= (its kernel command line as the domain gives it) must be an
 * address of this host on the guest's network: the gateway address, which every host has. A
 * root= without a server (DHCP root-path) or without NFS is not judged here. */
static int check_server(const nfsroot_domain *d, const nfsroot_netinfo *net, nfsroot_error *err)
{
    nfsroot_cmdline_root root;
    if (!d->cmdline || nfsroot_cmdline_parse(d->cmdline, &root) < 0 ||
        root.kind != NFSROOT_ROOT_NFS || !root.server[0])
        return 0;
    char bare[256];
    snprintf(bare, sizeof(bare), "%s", root.server);
    if (bare[0] == '[') { /* [fd00::1] */
        memmove(bare, bare + 1, strlen(bare));
        bare[strcspn(bare, "]")] = '\0';
    }
    nfsroot_cidr a;
    if (nfsroot_cidr_parse(bare, &a) < 0 || a.prefix != (a.family == AF_INET ? 32 : 128))
        return nfsroot_err(err, -EINVAL, d->name, "cmdline", NULL, 0,
                           "the guest mounts its root from '%.200s', which is not an address: "
                           "use the gateway address of network '%s' in its root=, which every "
                           "host has",
                           root.server, net->name);
    if (!host_has_address(net, &a))
        return nfsroot_err(err, -EADDRNOTAVAIL, d->name, "cmdline", NULL, 0,
                           "the guest mounts its root from '%.200s', which is not an address of "
                           "this host on network '%s': give that network the same gateway "
                           "address on every host",
                           root.server, net->name);
    return 0;
}

/* The gateway's MAC stays the guest's ARP entry for a while after the move: the bridge must
 * have the same MAC on every host, which the one derived from the network's name and gateway
 * address gives without comparing hosts (libvirt puts a random one in each host's definition
 * otherwise). Only for a libvirt network: a bridge of type 'bridge' is the admin's own. */
static int check_bridge_mac(const nfsroot_domain *d, const nfsroot_nic *nic,
                            const nfsroot_netinfo *net, const char *gateway, nfsroot_error *err)
{
    if (nic->type != NFSROOT_NIC_NETWORK || !gateway)
        return 0;
    char want[18];
    nfsroot_network_mac_derive(net->name, gateway, want);
    if (!strcmp(net->bridge_mac, want))
        return 0;
    return nfsroot_err(err, -EADDRNOTAVAIL, d->name, "interface", NULL, 0,
                       "network '%s' gives its bridge MAC '%s', not '%s', which every host "
                       "derives for it: pin <mac address='%s'/> in network '%s' on every host "
                       "(virsh net-edit %s, then restart it) or the guest stalls about a minute "
                       "after the move until its ARP entry for the gateway expires",
                       net->name, net->bridge_mac[0] ? net->bridge_mac : "(none)", want, want,
                       net->name, net->name);
}

static const nfsroot_nic *primary_nic(const nfsroot_domain *d)
{
    for (size_t i = 0; i < d->n_nics; i++)
        if (d->nics[i].type != NFSROOT_NIC_OTHER)
            return &d->nics[i];
    return NULL;
}

int nfsroot_migrate_check(const nfsroot_policy *p, const nfsroot_domain *d, const nfsroot_log *log,
                          nfsroot_error *err)
{
    /* The plan: every export path resolves here under an export root with prepare's rules, the
     * guest's network is active, its clients are what prepare would export to. */
    _cleanup_(nfsroot_plan_freep) nfsroot_plan *plan = NULL;
    int r = nfsroot_plan_build(p, d, log, &plan, err);
    if (r < 0)
        return r;
    nfsroot_netinfo **nets = NULL;
    size_t n_nets = 0;
    r = nfsroot_networks_load(p, d, &nets, &n_nets, err);
    if (r < 0)
        return r;
    r = check_server(d, nets[0], err);
    if (r == 0)
        r = check_bridge_mac(d, primary_nic(d), nets[0], plan->server, err);
    nfsroot_networks_free(nets, n_nets);
    if (r < 0)
        return r;
    return nfsroot_apply_check(p, plan, log, err);
}

/* The same network checks for `validate`: a guest that could not move is still a guest that
 * starts, so warnings where the policy says this host takes migrations (migration = yes), else
 * infos (a stock network pins no bridge MAC: every guest would warn). A network that cannot be
 * read was reported by the plan already. */
int nfsroot_migration_findings(const nfsroot_policy *p, const nfsroot_domain *d,
                               const nfsroot_plan *plan, nfsroot_findings *f)
{
    nfsroot_netinfo **nets = NULL;
    size_t n_nets = 0;
    nfsroot_error ignored = { 0 };
    if (nfsroot_networks_load(p, d, &nets, &n_nets, &ignored) < 0)
        return 0;
    nfsroot_error e1 = { 0 }, e2 = { 0 };
    nfsroot_finding_level level = p->migration ? NFSROOT_FINDING_WARNING : NFSROOT_FINDING_INFO;
    const char *why = p->migration ? "" : "; migration = no in the policy";
    int r = 0;
    if (check_server(d, nets[0], &e1) < 0)
        r = nfsroot_findings_add(f, level, "migration-server", NULL,
                                 "%s (a live migration to another host is refused%s)", e1.message,
                                 why);
    if (r >= 0 && check_bridge_mac(d, primary_nic(d), nets[0], plan->server, &e2) < 0)
        r = nfsroot_findings_add(f, level, "migration-bridge-mac", NULL,
                                 "%s (a live migration to another host is refused%s)", e2.message,
                                 why);
    nfsroot_networks_free(nets, n_nets);
    return r < 0 ? r : 0;
}
