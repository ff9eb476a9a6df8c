/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <net/if.h>
#include <sys/stat.h>

#include "internal.h"

void nfsroot_netinfo_free(nfsroot_netinfo *n)
{
    if (!n)
        return;
    free(n->name);
    free(n->subnets);
    free(n->host_addrs);
    free(n);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ifaddrs *, freeifaddrs)

static int push_cidr(nfsroot_cidr **v, size_t *n, const nfsroot_cidr *c)
{
    for (size_t i = 0; i < *n; i++)
        if (!memcmp(&(*v)[i], c, sizeof(*c)))
            return 0;
    nfsroot_cidr *nv = realloc(*v, (*n + 1) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    nv[(*n)++] = *c;
    *v = nv;
    return 0;
}

/* Host address a with prefix -> the subnet it is on. */
static nfsroot_cidr cidr_mask(const nfsroot_cidr *a)
{
    nfsroot_cidr s = *a;
    size_t bytes = a->family == AF_INET ? 4 : 16;
    for (size_t bit = s.prefix; bit < bytes * 8; bit++)
        s.addr[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
    return s;
}

static int add_host_addr(nfsroot_netinfo *n, int family, const void *addr, unsigned prefix)
{
    nfsroot_cidr a = { .family = family, .prefix = (uint8_t)prefix };
    memcpy(a.addr, addr, family == AF_INET ? 4 : 16);
    nfsroot_cidr s = cidr_mask(&a);
    int r = push_cidr(&n->host_addrs, &n->n_host_addrs, &a);
    return r < 0 ? r : push_cidr(&n->subnets, &n->n_subnets, &s);
}

static unsigned netmask_prefix(const struct in_addr *m)
{
    return (unsigned)__builtin_popcount(m->s_addr);
}

static bool elem(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, BAD_CAST name);
}

static char *prop(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
    char *s = v ? strdup((const char *)v) : NULL;
    xmlFree(v);
    return s;
}

static const char *sysfs_net_dir(const nfsroot_policy *p)
{
    return p->sysfs_net_dir ? p->sysfs_net_dir : "/sys/class/net";
}

/* A NIC of type 'bridge' takes the addresses of the interface it names as its subnet: any other
 * interface (the uplink, a second bridge's port, a tunnel) would hand that network's clients to
 * this guest. Only a Linux bridge has a 'bridge' directory in sysfs. -ENODEV if none. */
static int check_is_bridge(const nfsroot_policy *p, const char *name)
{
    char path[4096];
    struct stat st;
    if (snprintf(path, sizeof(path), "%s/%s/bridge", sysfs_net_dir(p), name) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return -ENODEV;
    return 0;
}

static int load_bridge(nfsroot_netinfo *n, const char *bridge)
{
    _cleanup_(freeifaddrsp) struct ifaddrs *list = NULL;
    if (getifaddrs(&list) < 0)
        return -errno;
    for (struct ifaddrs *i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || !i->ifa_netmask || strcmp(i->ifa_name, bridge) != 0)
            continue;
        int r = 0;
        if (i->ifa_addr->sa_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)i->ifa_addr;
            struct sockaddr_in *m = (struct sockaddr_in *)i->ifa_netmask;
            r = add_host_addr(n, AF_INET, &a->sin_addr, netmask_prefix(&m->sin_addr));
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)i->ifa_addr;
            struct sockaddr_in6 *m = (struct sockaddr_in6 *)i->ifa_netmask;
            if (IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr))
                continue;
            unsigned prefix = 0;
            for (size_t b = 0; b < 16; b++)
                prefix += (unsigned)__builtin_popcount(m->sin6_addr.s6_addr[b]);
            r = add_host_addr(n, AF_INET6, &a->sin6_addr, prefix);
        }
        if (r < 0)
            return r;
    }
    return 0;
}

static bool is_loopback(const nfsroot_cidr *c)
{
    static const uint8_t v6_loopback[16] = { [15] = 1 };
    return (c->family == AF_INET && c->addr[0] == 127) ||
           (c->family == AF_INET6 && !memcmp(c->addr, v6_loopback, 16));
}

static bool is_unspecified(const nfsroot_cidr *c)
{
    static const uint8_t zero[16] = { 0 };
    return !memcmp(c->addr, zero, c->family == AF_INET ? 4 : 16);
}

/* A static DHCP host's address becomes the export's only client: it gets the checks a subnet
 * gets, and must lie on the <ip> it is listed under. 0, or -EPERM with why filled. */
static int check_host_ip(const nfsroot_cidr *subnet, const char *hip, const nfsroot_cidr *c,
                         char *why, size_t len)
{
    char sb[64];
    nfsroot_cidr_format(subnet, sb, sizeof(sb));
    if (is_loopback(c))
        snprintf(why, len, "'%s', which is the host's loopback", hip);
    else if (is_unspecified(c))
        snprintf(why, len, "'%s', which is no address", hip);
    else if (!nfsroot_cidr_contains(subnet, c))
        snprintf(why, len, "'%s', outside the subnet '%s' of its <ip>", hip, sb);
    else
        return 0;
    return -EPERM;
}

static int parse_ip(nfsroot_netinfo *n, xmlNodePtr ip, const nfsroot_nic *nic, char *why,
                    size_t why_len)
{
    _cleanup_free_ char *family = prop(ip, "family");
    _cleanup_free_ char *address = prop(ip, "address");
    _cleanup_free_ char *netmask = prop(ip, "netmask");
    _cleanup_free_ char *prefix = prop(ip, "prefix");
    if (!address)
        return 0;
    bool v6 = family && !strcmp(family, "ipv6");
    unsigned char buf[16];
    int plen;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, address, buf) != 1 ||
        nfsroot_ip_prefix(family, netmask, prefix, &plen) < 0)
        return -EINVAL;
    int r = add_host_addr(n, v6 ? AF_INET6 : AF_INET, buf, (unsigned)plen);
    if (r < 0)
        return r;
    nfsroot_cidr a = { .family = v6 ? AF_INET6 : AF_INET, .prefix = (uint8_t)plen };
    memcpy(a.addr, buf, v6 ? 16 : 4);
    nfsroot_cidr subnet = cidr_mask(&a);

    for (xmlNodePtr d = ip->children; d; d = d->next) {
        if (!elem(d, "dhcp"))
            continue;
        for (xmlNodePtr h = d->children; h; h = h->next) {
            if (!elem(h, "host") || !nic->mac[0])
                continue;
            _cleanup_free_ char *mac = prop(h, "mac");
            _cleanup_free_ char *hip = prop(h, "ip");
            if (!mac || !hip || strcasecmp(mac, nic->mac) != 0)
                continue;
            nfsroot_cidr c;
            if (nfsroot_cidr_parse(hip, &c) != 0 || n->pinned.family != 0)
                continue;
            r = check_host_ip(&subnet, hip, &c, why, why_len);
            if (r < 0)
                return r;
            n->pinned = c;
        }
    }
    return 0;
}

static bool valid_name(const char *s)
{
    if (!s || !*s || s[0] == '.' || strlen(s) > 200)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-+:", *s))
            return false;
    return true;
}

/* The <network> element of a network XML, also inside the <networkstatus> of a live file. */
static xmlNodePtr network_root(xmlDocPtr doc)
{
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (root && elem(root, "networkstatus"))
        for (root = root->children; root && !elem(root, "network"); root = root->next)
            ;
    return root && elem(root, "network") ? root : NULL;
}

/* <mac address='52:54:00:AB:cd:ef'/> into buf, lower case; left "" unless it is a MAC. */
static void read_bridge_mac(xmlNodePtr c, char buf[18])
{
    _cleanup_free_ char *a = prop(c, "address");
    if (!a || strlen(a) != 17)
        return;
    for (size_t i = 0; i < 17; i++)
        if (i % 3 == 2 ? a[i] != ':' : !isxdigit((unsigned char)a[i]))
            return;
    for (size_t i = 0; i < 17; i++)
        buf[i] = (char)tolower((unsigned char)a[i]);
    buf[17] = '\0';
}

void nfsroot_network_mac_derive(const char *name, const char *gateway, char ret[18])
{
    const char *parts[] = { "virt-nfsroot bridge mac", name ? name : "", gateway ? gateway : "" };
    uint8_t k[16];
    nfsroot_handle_key(parts, ELEMENTSOF(parts), k);
    snprintf(ret, 18, "52:54:00:%02x:%02x:%02x", k[0], k[1], k[2]);
}

static int load_network(const nfsroot_policy *p, const nfsroot_domain *d, const nfsroot_nic *nic,
                        nfsroot_netinfo *n, nfsroot_error *err)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.xml", p->network_dir, nic->source);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = read_file_all(path, 4 * 1024 * 1024, &text, &len);
    if (r == -ENOENT)
        return nfsroot_err(err, -ENONET, d->name, "interface", path, 0,
                           "network '%s' is not active (no '%s'): start it with 'virsh "
                           "net-start %s'",
                           nic->source, path, nic->source);
    if (r < 0)
        return nfsroot_err(err, r, d->name, "interface", path, 0, "cannot read '%s': %s", path,
                           strerror(-r));
    _cleanup_(xmlFreeDocp) xmlDocPtr doc = xmlReadMemory(
        text, (int)len, path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr root = network_root(doc);
    if (!root)
        return nfsroot_err(err, -EINVAL, d->name, "interface", path, 0,
                           "'%s' is not a libvirt network XML", path);
    _cleanup_free_ char *bridge = NULL;
    for (xmlNodePtr c = root->children; c; c = c->next) {
        char why[256];
        r = elem(c, "ip") ? parse_ip(n, c, nic, why, sizeof(why)) : 0;
        if (r == -EPERM)
            return nfsroot_err(err, r, d->name, "interface", path, 0,
                               "network '%s' pins MAC '%s' to %s: correct its <host> entry",
                               nic->source, nic->mac, why);
        if (r < 0)
            return nfsroot_err(err, -EINVAL, d->name, "interface", path, 0,
                               "network '%s' has an <ip> element that cannot be read", nic->source);
        if (elem(c, "bridge") && !bridge)
            bridge = prop(c, "name");
        if (elem(c, "mac") && !n->bridge_mac[0])
            read_bridge_mac(c, n->bridge_mac);
    }
    /* A network without <ip> (e.g. forward mode='bridge'): what the kernel has on its bridge. */
    if (n->n_subnets == 0 && bridge && valid_name(bridge)) {
        if (check_is_bridge(p, bridge) < 0)
            return nfsroot_err(err, -ENODEV, d->name, "interface", path, 0,
                               "network '%s' names '%s', which is not a bridge on this host: no "
                               "client subnet can be derived from it",
                               nic->source, bridge);
        r = load_bridge(n, bridge);
        if (r < 0)
            return nfsroot_err(err, r, d->name, "interface", NULL, 0,
                               "cannot read the addresses of bridge '%s': %s", bridge,
                               strerror(-r));
    }
    return 0;
}

int nfsroot_netinfo_load(const nfsroot_policy *p, const nfsroot_domain *d, const nfsroot_nic *nic,
                         nfsroot_netinfo **ret, nfsroot_error *err)
{
    const char *kind = nic->type == NFSROOT_NIC_NETWORK ? "network" : "bridge";
    if (nic->type != NFSROOT_NIC_NETWORK && nic->type != NFSROOT_NIC_BRIDGE)
        return nfsroot_err(err, -EOPNOTSUPP, d->name, "interface", NULL, 0,
                           "only interfaces of type 'network' or 'bridge' can be used");
    if (!valid_name(nic->source))
        return nfsroot_err(err, -EINVAL, d->name, "interface", NULL, 0,
                           "interface %s name '%s' is not usable", kind,
                           nic->source ? nic->source : "");
    _cleanup_(nfsroot_netinfo_freep) nfsroot_netinfo *n = calloc(1, sizeof(*n));
    if (!n || !(n->name = strdup(nic->source)))
        return -ENOMEM;
    int r;
    if (nic->type == NFSROOT_NIC_NETWORK)
        r = load_network(p, d, nic, n, err);
    else {
        if (if_nametoindex(nic->source) == 0)
            return nfsroot_err(err, -ENODEV, d->name, "interface", NULL, 0,
                               "bridge '%s' does not exist on this host", nic->source);
        if (check_is_bridge(p, nic->source) < 0)
            return nfsroot_err(err, -ENODEV, d->name, "interface", NULL, 0,
                               "interface '%s' is not a bridge (no '%s/%s/bridge'): a NIC of "
                               "type 'bridge' must name a Linux bridge of this host",
                               nic->source, sysfs_net_dir(p), nic->source);
        r = load_bridge(n, nic->source);
        if (r < 0)
            r = nfsroot_err(err, r, d->name, "interface", NULL, 0,
                            "cannot read the addresses of bridge '%s': %s", nic->source,
                            strerror(-r));
    }
    if (r < 0)
        return r;
    /* Exporting to these would hand the guest's root (no_root_squash) to every local user of
     * the host, or to everyone. */
    for (size_t i = 0; i < n->n_subnets; i++) {
        const nfsroot_cidr *s = &n->subnets[i];
        bool loopback = is_loopback(s);
        if (s->prefix == 0 || loopback) {
            char buf[64];
            nfsroot_cidr_format(s, buf, sizeof(buf));
            return nfsroot_err(err, -EPERM, d->name, "interface", NULL, 0,
                               "%s '%s' is on subnet '%s', which %s: attach the guest to a "
                               "network or bridge of its own",
                               kind, nic->source, buf,
                               loopback ? "is the host's loopback" : "covers every address");
        }
    }
    if (n->n_subnets == 0)
        return nfsroot_err(err, -EADDRNOTAVAIL, d->name, "interface", NULL, 0,
                           "%s '%s' has no IP address on this host, so no client subnet can be "
                           "derived",
                           kind, nic->source);
    *ret = TAKE_PTR(n);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* A network's DHCP (for `annotate --pin-address`, which has the XML from libvirt's API) */

#define NETDHCP_MAX_XML (4u * 1024 * 1024)
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

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (elem(c, name))
            return c;
    return NULL;
}

/* An IPv4 <ip> with <dhcp> -> its subnet and host address; -ENOENT for any other <ip>. */
static int dhcp_subnet(xmlNodePtr ip, nfsroot_netdhcp *n)
{
    _cleanup_free_ char *family = prop(ip, "family");
    _cleanup_free_ char *address = prop(ip, "address");
    _cleanup_free_ char *netmask = prop(ip, "netmask");
    _cleanup_free_ char *prefix = prop(ip, "prefix");
    if ((family && strcmp(family, "ipv4")) || !child(ip, "dhcp"))
        return -ENOENT;
    int plen;
    if (!ipv4_host(address, &n->host) || nfsroot_ip_prefix(family, netmask, prefix, &plen) < 0 ||
        nfsroot_cidr_subnet(address, plen, &n->subnet) < 0)
        return -EINVAL;
    return 0;
}

static int dhcp_host(xmlNodePtr h, const char *mac, nfsroot_netdhcp *n)
{
    _cleanup_free_ char *hmac = prop(h, "mac");
    _cleanup_free_ char *hip = prop(h, "ip");
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
        if (elem(h, "range") && n->range_start.family == 0) {
            _cleanup_free_ char *start = prop(h, "start");
            _cleanup_free_ char *end = prop(h, "end");
            if (!ipv4_host(start, &n->range_start) || !ipv4_host(end, &n->range_end))
                return -EBADMSG;
        } else if (elem(h, "host")) {
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
        int r = elem(ip, "ip") ? dhcp_subnet(ip, n) : -ENOENT;
        if (r != -ENOENT)
            return r < 0 ? r : dhcp_entries(child(ip, "dhcp"), mac, n);
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
    if (len > NETDHCP_MAX_XML)
        return netdhcp_err(err, -EFBIG);
    _cleanup_(xmlFreeDocp) xmlDocPtr doc = xmlReadMemory(
        xml, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr root = network_root(doc);
    if (!root)
        return netdhcp_err(err, -EBADF);
    _cleanup_(nfsroot_netdhcp_freep) nfsroot_netdhcp *n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    int r = read_dhcp_ip(root, mac, n);
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

/* The <network> of a network XML, inside libvirt's <networkstatus> for a live one. */
static xmlNodePtr network_element(xmlDocPtr doc)
{
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (root && elem(root, "networkstatus"))
        for (root = root->children; root && !elem(root, "network"); root = root->next)
            ;
    return root && elem(root, "network") ? root : NULL;
}

static size_t count_dhcp_hosts(xmlNodePtr ip)
{
    size_t n = 0;
    for (xmlNodePtr d = ip->children; d; d = d->next)
        for (xmlNodePtr h = elem(d, "dhcp") ? d->children : NULL; h; h = h->next)
            n += elem(h, "host");
    return n;
}

int nfsroot_network_xml_parse(const char *xml, size_t len, const char *path, nfsroot_netinfo **ret,
                              size_t *ret_n_dhcp_hosts, nfsroot_error *err)
{
    if (len > 4 * 1024 * 1024)
        return nfsroot_err(err, -EFBIG, NULL, "network", path, 0, "'%s' is too large", path);
    _cleanup_(xmlFreeDocp) xmlDocPtr doc = xmlReadMemory(
        xml, (int)len, path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr root = network_element(doc);
    if (!root)
        return nfsroot_err(err, -EINVAL, NULL, "network", path, 0,
                           "'%s' is not a libvirt network XML", path);
    _cleanup_(nfsroot_netinfo_freep) nfsroot_netinfo *n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    static const nfsroot_nic no_nic = { 0 }; /* no MAC: no address is pinned */
    size_t hosts = 0;
    for (xmlNodePtr c = root->children; c; c = c->next) {
        char why[256];
        if (elem(c, "name") && !n->name) {
            xmlChar *t = xmlNodeGetContent(c);
            n->name = t ? strdup((const char *)t) : NULL;
            xmlFree(t);
            if (!n->name)
                return -ENOMEM;
        }
        int r = elem(c, "ip") ? parse_ip(n, c, &no_nic, why, sizeof(why)) : 0;
        if (r < 0)
            return nfsroot_err(err, r == -ENOMEM ? r : -EINVAL, NULL, "network", path, 0,
                               "'%s' has an <ip> element that cannot be read", path);
        hosts += elem(c, "ip") ? count_dhcp_hosts(c) : 0;
        if (elem(c, "mac") && !n->bridge_mac[0])
            read_bridge_mac(c, n->bridge_mac);
    }
    if (!n->name || !n->name[0])
        return nfsroot_err(err, -EINVAL, NULL, "network", path, 0, "'%s' has no <name>", path);
    if (ret_n_dhcp_hosts)
        *ret_n_dhcp_hosts = hosts;
    *ret = TAKE_PTR(n);
    return 0;
}
