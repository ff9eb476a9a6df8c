/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A network's DHCP hosts: which addresses are taken, the next free one (annotate
 * --pin-address and create read the XML from libvirt's API). */
#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/stat.h>

#include "formats.h"
#include "network.h"

/* ------------------------------------------------------------------------------------------ */
/* A network's DHCP (for `annotate --pin-address`, which has the XML from libvirt's API) */

#define NETDHCP_MAX_HOSTS 65536

void nfsroot_netdhcp_free(nfsroot_netdhcp *n)
{
    if (!n)
        return;
    free(n->hosts);
    free(n);
}

/* A numeric IPv4 address as a /32, false otherwise. */
static bool ipv4_host(const char *s, nfsroot_cidr *ret)
{
    nfsroot_cidr c = { .family = AF_INET, .prefix = 32 };
    if (!s || inet_pton(AF_INET, s, c.addr) != 1)
        return false;
    *ret = c;
    return true;
}

/* An IPv4 <ip> with <dhcp> -> its subnet and host address; -ENOENT for any other <ip>. */
static int dhcp_subnet(xmlNodePtr ip, nfsroot_netdhcp *n)
{
    _cleanup_free_ char *family = nfsroot_xml_prop(ip, "family");
    _cleanup_free_ char *address = nfsroot_xml_prop(ip, "address");
    _cleanup_free_ char *netmask = nfsroot_xml_prop(ip, "netmask");
    _cleanup_free_ char *prefix = nfsroot_xml_prop(ip, "prefix");
    if ((family && strcmp(family, "ipv4")) || !nfsroot_xml_child(ip, "dhcp"))
        return -ENOENT;
    int plen;
    if (!ipv4_host(address, &n->host) || nfsroot_ip_prefix(family, netmask, prefix, &plen) < 0 ||
        nfsroot_cidr_subnet(address, plen, &n->subnet) < 0)
        return -EINVAL;
    return 0;
}

static int dhcp_host(xmlNodePtr h, const char *mac, nfsroot_netdhcp *n)
{
    _cleanup_free_ char *hmac = nfsroot_xml_prop(h, "mac");
    _cleanup_free_ char *hip = nfsroot_xml_prop(h, "ip");
    nfsroot_cidr a = { 0 };
    if (!ipv4_host(hip, &a))
        return 0; /* an IPv6 or name-only host takes no IPv4 address */
    if (n->n_hosts >= NETDHCP_MAX_HOSTS)
        return -E2BIG;
    /* Room doubles at every power of two: linear in the number of hosts. */
    if ((n->n_hosts & (n->n_hosts - 1)) == 0) {
        nfsroot_cidr *v = realloc(n->hosts, (n->n_hosts ? 2 * n->n_hosts : 1) * sizeof(*v));
        if (!v)
            return -ENOMEM;
        n->hosts = v;
    }
    n->hosts[n->n_hosts++] = a;
    if (mac && hmac && !strcasecmp(hmac, mac) && n->pinned.family == 0)
        n->pinned = a;
    return 0;
}

static int dhcp_entries(xmlNodePtr dhcp, const char *mac, nfsroot_netdhcp *n)
{
    for (xmlNodePtr h = dhcp->children; h; h = h->next) {
        if (nfsroot_xml_is(h, "range") && n->range_start.family == 0) {
            _cleanup_free_ char *start = nfsroot_xml_prop(h, "start");
            _cleanup_free_ char *end = nfsroot_xml_prop(h, "end");
            if (!ipv4_host(start, &n->range_start) || !ipv4_host(end, &n->range_end))
                return -EBADMSG;
        } else if (nfsroot_xml_is(h, "host")) {
            int r = dhcp_host(h, mac, n);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

/* The first IPv4 <ip> with <dhcp>, read into n: its subnet, range and static hosts. */
static int read_dhcp_ip(xmlNodePtr root, const char *mac, nfsroot_netdhcp *n)
{
    for (xmlNodePtr ip = root->children; ip; ip = ip->next) {
        int r = nfsroot_xml_is(ip, "ip") ? dhcp_subnet(ip, n) : -ENOENT;
        if (r != -ENOENT)
            return r < 0 ? r : dhcp_entries(nfsroot_xml_child(ip, "dhcp"), mac, n);
    }
    return -ENOENT;
}

static int netdhcp_err(nfsroot_error *err, int r)
{
    const char *why =
        r == -EFBIG     ? "the network XML is larger than 4 MiB"
        : r == -EINVAL  ? "the network's IPv4 <ip> has an address, netmask or prefix that cannot "
                          "be read (a netmask must be contiguous, a prefix 0 to 32)"
        : r == -EBADMSG ? "the network's <dhcp> <range> has a start or end that is not an IPv4 "
                          "address"
        : r == -ENOENT  ? "the network has no IPv4 <ip> with <dhcp>"
        : r == -E2BIG   ? "the network lists more than 65536 static DHCP hosts"
                        : "this is not a libvirt network XML (no <network> element)";
    return nfsroot_err(err, r == -EBADMSG || r == -EBADF ? -EINVAL : r, NULL, "network", NULL, 0,
                       "%s", why);
}

int nfsroot_netdhcp_parse(const char *xml, size_t len, const char *mac, nfsroot_netdhcp **ret,
                          nfsroot_error *err)
{
    if (len > NETWORK_XML_MAX)
        return netdhcp_err(err, -EFBIG);
    _cleanup_(nfsroot_xml_free_docp) xmlDocPtr doc = NULL;
    xmlNodePtr root = NULL;
    int r = network_xml_read(xml, len, NULL, NULL, NULL, &doc, &root, err);
    if (r < 0)
        return r == -EBADF ? netdhcp_err(err, r) : r;
    _cleanup_(nfsroot_netdhcp_freep) nfsroot_netdhcp *n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    r = read_dhcp_ip(root, mac, n);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return netdhcp_err(err, r);
    *ret = TAKE_PTR(n);
    return 0;
}

static uint32_t host_order(const nfsroot_cidr *c)
{
    uint32_t a;
    memcpy(&a, c->addr, 4);
    return ntohl(a);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The host's own address, the static hosts' and the leased ones, sorted for bsearch. */
static uint32_t *taken_addrs(const nfsroot_netdhcp *n, const nfsroot_cidr *leased, size_t n_leased,
                             size_t *ret_n)
{
    uint32_t *v = calloc(1 + n->n_hosts + n_leased, sizeof(*v));
    if (!v)
        return NULL;
    size_t k = 0;
    v[k++] = host_order(&n->host);
    for (size_t i = 0; i < n->n_hosts; i++)
        v[k++] = host_order(&n->hosts[i]);
    for (size_t i = 0; i < n_leased; i++)
        if (leased[i].family == AF_INET)
            v[k++] = host_order(&leased[i]);
    qsort(v, k, sizeof(*v), cmp_u32);
    *ret_n = k;
    return v;
}

bool nfsroot_netdhcp_is_taken(const nfsroot_netdhcp *n, const nfsroot_cidr *addr)
{
    if (addr->family != AF_INET)
        return false;
    if (!memcmp(n->host.addr, addr->addr, 4))
        return true;
    for (size_t i = 0; i < n->n_hosts; i++)
        if (!memcmp(n->hosts[i].addr, addr->addr, 4))
            return true;
    return false;
}

int nfsroot_netdhcp_next_free(const nfsroot_netdhcp *n, const nfsroot_cidr *leased, size_t n_leased,
                              nfsroot_cidr *ret)
{
    size_t n_taken = 0;
    _cleanup_free_ uint32_t *taken = taken_addrs(n, leased, n_leased, &n_taken);
    if (!taken)
        return -ENOMEM;
    uint64_t base = host_order(&n->subnet);
    uint64_t size = n->subnet.prefix >= 31 ? 0 : (UINT64_C(1) << (32 - n->subnet.prefix));
    uint64_t lo = n->range_start.family ? host_order(&n->range_start) : 1;
    uint64_t hi = n->range_start.family ? host_order(&n->range_end) : 0;
    /* Outside the dynamic range first (dnsmasq hands that out), then inside it; neither the
     * subnet's own address nor its broadcast. */
    for (int pass = 0; pass < 2; pass++)
        for (uint64_t a = base + 1; size && a < base + size - 1; a++) {
            uint32_t a32 = (uint32_t)a;
            if ((a >= lo && a <= hi) != (pass == 1) ||
                bsearch(&a32, taken, n_taken, sizeof(*taken), cmp_u32))
                continue;
            nfsroot_cidr c = { .family = AF_INET, .prefix = 32 };
            uint32_t be = htonl(a32);
            memcpy(c.addr, &be, 4);
            *ret = c;
            return 0;
        }
    return -ENOSPC;
}

DEFINE_ACCESSOR(const nfsroot_cidr *, nfsroot_netdhcp_get_subnet, nfsroot_netdhcp, &x->subnet)
DEFINE_ACCESSOR(const nfsroot_cidr *, nfsroot_netdhcp_get_host, nfsroot_netdhcp, &x->host)
DEFINE_ACCESSOR(const nfsroot_cidr *, nfsroot_netdhcp_get_pinned, nfsroot_netdhcp, &x->pinned)
