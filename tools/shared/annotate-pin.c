/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot annotate --pin-address: a static DHCP host for the guest's MAC on its libvirt
 * network, so that the export goes to that one guest, not the whole subnet. The network XML is
 * read by the library (nfsroot_netdhcp_parse); this file only talks to libvirt. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <syslog.h>

#include "shared.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(virNetworkPtr, virNetworkFree)

/* What pinning works with: the domain's name, its NIC's MAC and network (live state), and what
 * the network's XML says. */
typedef struct pin_ctx {
    const char *name, *uuid, *mac, *network;
    virNetworkPtr net;
    bool active;
    nfsroot_netdhcp *dhcp;
} pin_ctx;

static void pin_ctx_done(pin_ctx *p)
{
    virNetworkFreep(&p->net);
    nfsroot_netdhcp_freep(&p->dhcp);
}

bool annotate_is_ipv4(const char *s)
{
    static const uint8_t zero[4] = { 0 };
    nfsroot_cidr c;
    return s && nfsroot_cidr_subnet(s, 32, &c) == 0 && c.family == AF_INET &&
           memcmp(c.addr, zero, 4) != 0;
}

const char *annotate_pin_arg(const char *arg, int argc, char **argv)
{
    if (!arg && optind < argc && annotate_is_ipv4(argv[optind]))
        arg = argv[optind++];
    return arg;
}

static const char *addr_str(const nfsroot_cidr *c, char *buf, size_t len)
{
    if (!inet_ntop(c->family, c->addr, buf, (socklen_t)len))
        snprintf(buf, len, "?");
    return buf;
}

static const nfsroot_nic *network_nic(const nfsroot_domain *d)
{
    const nfsroot_nic *nic;
    for (size_t i = 0; (nic = nfsroot_domain_get_nic(d, i)); i++)
        if (nfsroot_nic_get_type(nic) == NFSROOT_NIC_NETWORK && nfsroot_nic_get_mac(nic)[0])
            return nic;
    cli_error("domain '%s': --pin-address needs an <interface type='network'> with a MAC "
              "address; a bridge has no libvirt DHCP to pin with",
              nfsroot_domain_get_name(d));
    return NULL;
}

/* The network's definition as libvirt has it (live when it runs), through the library. */
static int load_dhcp(pin_ctx *p)
{
    p->active = virNetworkIsActive(p->net) == 1;
    _cleanup_free_ char *xml =
        virNetworkGetXMLDesc(p->net, p->active ? 0 : VIR_NETWORK_XML_INACTIVE);
    nfsroot_error err = { 0 };
    int r = xml ? nfsroot_netdhcp_parse(xml, strlen(xml), p->mac, &p->dhcp, &err) : -ENOENT;
    if (r == -ENOENT)
        cli_error("domain '%s': network '%s' has no IPv4 <ip> with <dhcp>: nothing to pin an "
                  "address in (give the guest a static address in its own configuration)",
                  p->name, p->network);
    else if (r < 0)
        cli_error("domain '%s': network '%s': %s", p->name, p->network,
                  err.message[0] ? err.message : strerror(-r));
    return r;
}

/* The address asked for: on the network, and not the host's or another MAC's. */
static int check_wanted(const pin_ctx *p, const char *want_ip, nfsroot_cidr *ret)
{
    const char *name = p->name, *net = p->network;
    if (!annotate_is_ipv4(want_ip) || nfsroot_cidr_subnet(want_ip, 32, ret) < 0 ||
        !nfsroot_cidr_contains(nfsroot_netdhcp_get_subnet(p->dhcp), ret)) {
        char sub[64];
        cli_error("domain '%s': --pin-address '%s' is not an IPv4 address in network '%s' (%s)",
                  name, want_ip, net,
                  nfsroot_cidr_format(nfsroot_netdhcp_get_subnet(p->dhcp), sub, sizeof(sub)));
        return -EINVAL;
    }
    if (nfsroot_netdhcp_get_pinned(p->dhcp)->family)
        return 0; /* already_pinned tells whether it is the same */
    if (!memcmp(ret->addr, nfsroot_netdhcp_get_host(p->dhcp)->addr, 4)) {
        cli_error("domain '%s': %s is the host's own address on network '%s'", name, want_ip, net);
        return -EINVAL;
    }
    if (nfsroot_netdhcp_is_taken(p->dhcp, ret)) {
        cli_error("domain '%s': %s is already pinned to another MAC on network '%s'", name, want_ip,
                  net);
        return -EEXIST;
    }
    return 0;
}

/* Addresses libvirt has leased to other MACs: not to be pinned to ours. */
static int next_free(const pin_ctx *p, nfsroot_cidr *ret)
{
    virNetworkDHCPLeasePtr *leases = NULL;
    int n = virNetworkGetDHCPLeases(p->net, NULL, &leases, 0);
    _cleanup_free_ nfsroot_cidr *taken = calloc(n > 0 ? (size_t)n : 1, sizeof(*taken));
    size_t n_taken = 0;
    for (int i = 0; i < n; i++) {
        virNetworkDHCPLeasePtr l = leases[i];
        if (taken && l->type == VIR_IP_ADDR_TYPE_IPV4 && l->ipaddr &&
            (!l->mac || strcasecmp(l->mac, p->mac)) &&
            nfsroot_cidr_subnet(l->ipaddr, 32, &taken[n_taken]) == 0)
            n_taken++;
        virNetworkDHCPLeaseFree(l);
    }
    free(leases);
    int r = taken ? nfsroot_netdhcp_next_free(p->dhcp, taken, n_taken, ret) : -ENOMEM;
    if (r == -ENOMEM)
        cli_error("out of memory");
    else if (r < 0)
        cli_error("domain '%s': network '%s' has no free address left to pin", p->name, p->network);
    return r;
}

static int add_host(const pin_ctx *p, const char *ip)
{
    const char *name = p->name, *mac = p->mac, *net = p->network;
    char host[512];
    if (nfsroot_domain_name_ok(name, true))
        snprintf(host, sizeof(host), "<host mac='%s' name='%s' ip='%s'/>", mac, name, ip);
    else
        snprintf(host, sizeof(host), "<host mac='%s' ip='%s'/>", mac, ip);
    unsigned flags = VIR_NETWORK_UPDATE_AFFECT_CONFIG;
    if (p->active)
        flags |= VIR_NETWORK_UPDATE_AFFECT_LIVE;
    if (virNetworkIsPersistent(p->net) != 1)
        flags = VIR_NETWORK_UPDATE_AFFECT_LIVE;
    if (virNetworkUpdate(p->net, VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
                         VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, host, flags) < 0) {
        cli_error("domain '%s': cannot add %s to network '%s': %s", name, host, net,
                  cli_virt_error());
        return -EIO;
    }
    syslog(LOG_INFO, "domain '%s': pinned %s to MAC %s on network '%s'", cli_esc(name), ip, mac,
           cli_esc(net));
    cli_debug("domain '%s': pinned %s to MAC %s on network '%s'", name, ip, mac, net);
    return 0;
}

/* The MAC already has a static address: fine if it is the one asked for (or none was). */
static int already_pinned(const pin_ctx *p, const char *want_ip, const nfsroot_cidr *want,
                          pin_result *pin)
{
    const nfsroot_cidr *have = nfsroot_netdhcp_get_pinned(p->dhcp);
    char ip[64];
    addr_str(have, ip, sizeof(ip));
    if (!want_ip || !memcmp(want->addr, have->addr, 4)) {
        snprintf(pin->ip, sizeof(pin->ip), "%s", ip);
        return 0;
    }
    cli_error("domain '%s': MAC %s is already pinned to %s on network '%s'; remove that first: "
              "virsh net-update %s delete ip-dhcp-host \"<host mac='%s'/>\" --live --config",
              p->name, p->mac, ip, p->network, p->network, p->mac);
    return -EEXIST;
}

static int pin_in(pin_ctx *p, const char *want_ip, bool dry_run, pin_result *pin)
{
    nfsroot_cidr a = { 0 };
    int r = load_dhcp(p);
    if (r >= 0 && want_ip)
        r = check_wanted(p, want_ip, &a);
    if (r < 0)
        return r;
    if (nfsroot_netdhcp_get_pinned(p->dhcp)->family)
        return already_pinned(p, want_ip, &a, pin);
    if (!want_ip && (r = next_free(p, &a)) < 0)
        return r;
    addr_str(&a, pin->ip, sizeof(pin->ip));
    if (!dry_run && (r = add_host(p, pin->ip)) < 0)
        return r;
    /* Recorded root-side as ours: delete removes this pin and no other (a domain editor can
     * clone the MAC, never this record). Unrecorded, it is taken back. */
    if (!dry_run && (r = owned_record_pin(p->uuid, p->name, p->network, p->mac, pin->ip)) < 0) {
        (void)annotate_unpin_address(virNetworkGetConnect(p->net), p->network, p->mac, pin->ip);
        return r;
    }
    pin->added = true;
    return 0;
}

int annotate_pin_address(virConnectPtr conn, const nfsroot_domain *d, const char *want_ip,
                         bool dry_run, pin_result *pin)
{
    const nfsroot_nic *nic = network_nic(d);
    if (!nic)
        return -EINVAL;
    _cleanup_(pin_ctx_done) pin_ctx p = { .name = nfsroot_domain_get_name(d),
                                          .uuid = nfsroot_domain_get_uuid(d),
                                          .mac = nfsroot_nic_get_mac(nic),
                                          .network = nfsroot_nic_get_source(nic) };
    snprintf(pin->network, sizeof(pin->network), "%s", p.network);
    snprintf(pin->mac, sizeof(pin->mac), "%s", p.mac);
    p.net = virNetworkLookupByName(conn, p.network);
    if (!p.net) {
        cli_error("domain '%s': network '%s': %s", p.name, p.network, cli_virt_error());
        return -ENOENT;
    }
    return pin_in(&p, want_ip, dry_run, pin);
}

int annotate_pinned_ip(virConnectPtr conn, const char *network, const char *mac, char *ret_ip,
                       size_t len)
{
    _cleanup_(virNetworkFreep) virNetworkPtr net = virNetworkLookupByName(conn, network);
    if (!net)
        return 0;
    bool active = virNetworkIsActive(net) == 1;
    _cleanup_free_ char *xml = virNetworkGetXMLDesc(net, active ? 0 : VIR_NETWORK_XML_INACTIVE);
    _cleanup_(nfsroot_netdhcp_freep) nfsroot_netdhcp *dhcp = NULL;
    nfsroot_error err = { 0 };
    if (!xml || nfsroot_netdhcp_parse(xml, strlen(xml), mac, &dhcp, &err) < 0 ||
        !nfsroot_netdhcp_get_pinned(dhcp)->family)
        return 0;
    addr_str(nfsroot_netdhcp_get_pinned(dhcp), ret_ip, len);
    return 1;
}

int annotate_unpin_address(virConnectPtr conn, const char *network, const char *mac, const char *ip)
{
    char have[64], host[256];
    if (annotate_pinned_ip(conn, network, mac, have, sizeof(have)) <= 0 || strcmp(have, ip))
        return 0; /* gone with its network, or not the pin that was made: someone else's now */
    _cleanup_(virNetworkFreep) virNetworkPtr net = virNetworkLookupByName(conn, network);
    if (!net)
        return 0;
    snprintf(host, sizeof(host), "<host mac='%s' ip='%s'/>", mac, ip);
    unsigned flags = (virNetworkIsActive(net) == 1 ? VIR_NETWORK_UPDATE_AFFECT_LIVE : 0) |
                     (virNetworkIsPersistent(net) == 1 ? VIR_NETWORK_UPDATE_AFFECT_CONFIG : 0);
    if (virNetworkUpdate(net, VIR_NETWORK_UPDATE_COMMAND_DELETE, VIR_NETWORK_SECTION_IP_DHCP_HOST,
                         -1, host, flags) < 0) {
        cli_error("cannot remove %s from network '%s': %s", host, network, cli_virt_error());
        return -EIO;
    }
    syslog(LOG_INFO, "unpinned %s from MAC %s on network '%s'", ip, mac, cli_esc(network));
    return 1;
}
