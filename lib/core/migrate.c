/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `migrate begin` on the destination of a live migration: libvirt asks before anything moves,
 * and a refusal leaves the guest running on the source, untouched. What can be checked here
 * without any record from the source is what every host must have alike for the guest to keep
 * its root: the export paths (resolved under an export root with the rules of prepare; the same
 * directory on shared storage, named by the same derived fsid / Export_Id), the guest's network
 * with its NFS server address and the bridge MAC every host derives for it, and a server that
 * can take the exports now. */
#include <arpa/inet.h>
#include <syslog.h>

#include "bootcheck/bootcheck-private.h"
#include "clients.h"
#include "core.h"

/* The NFS port, nfsd's and ganesha's default (NFS_Port); the guest's root= names no other. */
#define NFSROOT_NFS_PORT 2049

/* The server the guest mounts its root from, by the boot check's rule (bootcheck_server_rule:
 * root='s server, else ip='s, must be this host's address on the guest's network, which every
 * host has alike when each gives that network the same gateway address). A root= without NFS or
 * without any server (DHCP's) is not judged here. */
static int check_server(const nfsroot_domain *d, const nfsroot_plan *plan, nfsroot_error *err)
{
    nfsroot_cmdline_root root;
    if (!d->cmdline || nfsroot_cmdline_parse(d->cmdline, &root) < 0 ||
        root.kind != NFSROOT_ROOT_NFS)
        return 0;
    const char *srv = NULL;
    bootcheck_server_verdict v = bootcheck_server_rule(&root, plan->server, &srv);
    if (v == BOOTCHECK_SERVER_OK || v == BOOTCHECK_SERVER_NONE)
        return 0;
    char why[400];
    if (v == BOOTCHECK_SERVER_HOSTNAME)
        snprintf(why, sizeof(why),
                 "which is not an address: use the gateway address of network '%s' in its root=, "
                 "which every host has",
                 plan->network);
    else if (v == BOOTCHECK_SERVER_UNVERIFIED)
        snprintf(why, sizeof(why),
                 "but this host has no address on network '%s': give that network the same "
                 "gateway address on every host",
                 plan->network);
    else
        snprintf(why, sizeof(why),
                 "but this host's address on network '%s' is '%s': give that network the same "
                 "gateway address on every host",
                 plan->network, plan->server);
    return nfsroot_err(err, v == BOOTCHECK_SERVER_HOSTNAME ? -EINVAL : -EADDRNOTAVAIL, d->name,
                       "cmdline", NULL, 0, "the guest mounts its root from '%.200s', %s", srv, why);
}

/* The gateway's MAC stays the guest's ARP entry for a while after the move: the bridge must
 * have the same MAC on every host, which the one derived from the network's name and gateway
 * address gives without comparing hosts (libvirt puts a random one in each host's definition
 * otherwise). Only for a libvirt network: a bridge of type 'bridge' is the admin's own. */
static int check_bridge_mac(const nfsroot_domain *d, const nfsroot_nic *nic,
                            const nfsroot_plan *plan, nfsroot_error *err)
{
    if (!nic || nic->type != NFSROOT_NIC_NETWORK || !plan->server || !plan->network)
        return 0;
    char want[18];
    const char *net = plan->network, *mac = plan->bridge_mac;
    nfsroot_network_mac_derive(net, plan->server, want);
    if (!strcmp(mac, want))
        return 0;
    return nfsroot_err(err, -EADDRNOTAVAIL, d->name, "interface", NULL, 0,
                       "network '%s' gives its bridge MAC '%s', not '%s', which every host "
                       "derives for it: pin <mac address='%s'/> in network '%s' on every host "
                       "(virsh net-edit %s, then restart it) or the guest stalls about a minute "
                       "after the move until its ARP entry for the gateway expires",
                       net, mac[0] ? mac : "(none)", want, want, net, net);
}

/* A bridge with STP holds a new port (the migrated guest's tap on the destination) in listening
 * and learning for twice its forward delay, at least 2 s each (3.5-4 s measured): the guest's
 * packets are dropped until then (bench part 9). Only for a libvirt network, as above. */
static bool bridge_stp(const nfsroot_nic *nic, const nfsroot_plan *plan)
{
    return nic && nic->type == NFSROOT_NIC_NETWORK && plan->network && plan->bridge_stp;
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
     * guest's network is active (loaded once, by the plan), its clients are what prepare would
     * export to. */
    _cleanup_(nfsroot_plan_freep) nfsroot_plan *plan = NULL;
    int r = nfsroot_plan_build(p, d, log, &plan, err);
    if (r < 0 || (r = check_server(d, plan, err)) < 0 ||
        (r = check_bridge_mac(d, primary_nic(d), plan, err)) < 0)
        return r;
    return nfsroot_apply_check(p, plan, log, err);
}

/* The same checks for `validate`: a guest that could not move is still a guest that starts, so
 * warnings where the policy says this host takes migrations (migration = yes), else infos (a
 * stock network pins no bridge MAC: every guest would warn). The server is judged here only
 * where the boot check does not judge it (no <kernel>): the rule is the same, reported once. */
int nfsroot_migration_findings(const nfsroot_policy *p, const nfsroot_domain *d,
                               const nfsroot_plan *plan, nfsroot_findings *f)
{
    nfsroot_finding_level level = p->migration ? NFSROOT_FINDING_WARNING : NFSROOT_FINDING_INFO;
    const char *why = p->migration ? "" : "; migration = no in the policy";
    nfsroot_error e1 = { 0 }, e2 = { 0 };
    int r = 0;
    if (!d->kernel && check_server(d, plan, &e1) < 0)
        r = nfsroot_findings_add(f, level, "migration-server", NULL,
                                 "%s (a live migration to another host is refused%s)", e1.message,
                                 why);
    if (r >= 0 && check_bridge_mac(d, primary_nic(d), plan, &e2) < 0)
        r = nfsroot_findings_add(f, level, "migration-bridge-mac", NULL,
                                 "%s (a live migration to another host is refused%s)", e2.message,
                                 why);
    if (r >= 0 && bridge_stp(primary_nic(d), plan))
        r = nfsroot_findings_add(
            f, level, "migration-bridge-stp", NULL,
            "network '%s' runs STP on its bridge (stp='on', libvirt's default; the kernel raises "
            "delay='0' to 2 s): the port of a guest migrated to a host passes 2 s listening and 2 "
            "s learning before it forwards, and the guest stalls as long after the move: set "
            "stp='off' in its <bridge> on every host (virsh net-edit %s, then restart it)%s",
            plan->network, plan->network, why);
    return r < 0 ? r : 0;
}

static void close_stale_one(const char *client, const nfsroot_log *log)
{
    nfsroot_cidr c;
    char addr[INET6_ADDRSTRLEN];
    if (nfsroot_cidr_parse(client, &c) < 0 || c.prefix != (c.family == AF_INET ? 32 : 128) ||
        !inet_ntop(c.family, c.addr, addr, sizeof(addr)))
        return;
    nfsroot_error e = { 0 };
    unsigned closed = 0;
    int r = nfsroot_tcp_close_from(addr, NFSROOT_NFS_PORT, &closed, &e);
    if (r < 0) {
        char buf[1024];
        nfsroot_logf(log, r == -EOPNOTSUPP ? LOG_NOTICE : LOG_WARNING, "%s",
                     nfsroot_error_format(&e, buf, sizeof(buf)));
    }
    if (closed)
        nfsroot_logf(log, LOG_INFO,
                     "closed %u stale NFS connection%s from %s (an earlier stay here)", closed,
                     closed == 1 ? "" : "s", addr);
}

/* The guest runs nowhere on this host at prepare (libvirt is starting it, or it arrives by a
 * live migration and resumes only after the memory is copied), so a connection this host's NFS
 * server holds from its address is left from an earlier stay: after A -> B -> A, the guest can
 * come back from the same source port, and A's kernel then answers it with duplicate ACKs of
 * that old connection, not RST, until the guest's RPC times out (60 s, bench part 9). Closed,
 * the guest's first segment gets RST and it reconnects at once. The guest's addresses are its
 * root export's single-address clients (the DHCP pin, or what the metadata names inside the
 * guest's network), which nfsroot_apply() has just refused if another running domain's root has
 * them; a subnet is never one guest. */
void nfsroot_close_stale(const nfsroot_plan *plan, const nfsroot_log *log)
{
    for (size_t i = 0; i < plan->n_exports && !plan->subnet_wide; i++)
        for (size_t j = 0; plan->exports[i].is_root && plan->exports[i].clients[j]; j++)
            close_stale_one(plan->exports[i].clients[j], log);
}
