/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/stat.h>

#include "formats.h"
#include "network.h"
#include "xml.h"

void nfsroot_netinfo_free(nfsroot_netinfo *n)
{
    if (!n)
        return;
    free(n->name);
    free(n->subnets);
    free(n->host_addrs);
    free(n);
}
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
    _cleanup_free_ char *family = nfsroot_xml_prop(ip, "family");
    _cleanup_free_ char *address = nfsroot_xml_prop(ip, "address");
    _cleanup_free_ char *netmask = nfsroot_xml_prop(ip, "netmask");
    _cleanup_free_ char *prefix = nfsroot_xml_prop(ip, "prefix");
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
        if (!nfsroot_xml_is(d, "dhcp"))
            continue;
        for (xmlNodePtr h = d->children; h; h = h->next) {
            if (!nfsroot_xml_is(h, "host") || !nic->mac[0])
                continue;
            _cleanup_free_ char *mac = nfsroot_xml_prop(h, "mac");
            _cleanup_free_ char *hip = nfsroot_xml_prop(h, "ip");
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
static xmlNodePtr network_xml_root(xmlDocPtr doc)
{
    xmlNodePtr root = doc ? XML(DocGetRootElement)(doc) : NULL;
    if (root && nfsroot_xml_is(root, "networkstatus"))
        for (root = root->children; root && !nfsroot_xml_is(root, "network"); root = root->next)
            ;
    return root && nfsroot_xml_is(root, "network") ? root : NULL;
}

int network_xml_read(const char *xml, size_t len, const char *path, const char *domain,
                     const char *field, xmlDocPtr *ret_doc, xmlNodePtr *ret_root,
                     nfsroot_error *err)
{
    int r = nfsroot_xml_load(err);
    if (r < 0)
        return r;
    *ret_doc = XML(ReadMemory)(xml, (int)len, path, NULL,
                               XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if ((*ret_root = network_xml_root(*ret_doc)))
        return 0;
    if (!field)
        return -EBADF;
    nfsroot_err(err, -EINVAL, domain, field, path, 0, "'%s' is not a libvirt network XML", path);
    return -EBADF;
}

/* <mac address='52:54:00:AB:cd:ef'/> into buf, lower case; left "" unless it is a MAC. */
static void read_bridge_mac(xmlNodePtr c, char buf[18])
{
    _cleanup_free_ char *a = nfsroot_xml_prop(c, "address");
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
    int r = read_file_all(path, NETWORK_XML_MAX, &text, &len);
    if (r == -ENOENT)
        return nfsroot_err(err, -ENONET, d->name, "interface", path, 0,
                           "network '%s' is not active (no '%s'): start it with 'virsh "
                           "net-start %s'",
                           nic->source, path, nic->source);
    if (r < 0)
        return nfsroot_err(err, r, d->name, "interface", path, 0, "cannot read '%s': %s", path,
                           strerror(-r));
    _cleanup_(nfsroot_xml_free_docp) xmlDocPtr doc = NULL;
    xmlNodePtr root = NULL;
    r = network_xml_read(text, len, path, d->name, "interface", &doc, &root, err);
    if (r < 0)
        return r == -EBADF ? -EINVAL : r;
    _cleanup_free_ char *bridge = NULL;
    for (xmlNodePtr c = root->children; c; c = c->next) {
        char why[256];
        r = nfsroot_xml_is(c, "ip") ? parse_ip(n, c, nic, why, sizeof(why)) : 0;
        if (r == -EPERM)
            return nfsroot_err(err, r, d->name, "interface", path, 0,
                               "network '%s' pins MAC '%s' to %s: correct its <host> entry",
                               nic->source, nic->mac, why);
        if (r < 0)
            return nfsroot_err(err, -EINVAL, d->name, "interface", path, 0,
                               "network '%s' has an <ip> element that cannot be read", nic->source);
        if (nfsroot_xml_is(c, "bridge") && !bridge) {
            bridge = nfsroot_xml_prop(c, "name");
            _cleanup_free_ char *stp = nfsroot_xml_prop(c, "stp");
            n->bridge_stp = !stp || strcmp(stp, "off");
        }
        if (nfsroot_xml_is(c, "mac") && !n->bridge_mac[0])
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

static size_t count_dhcp_hosts(xmlNodePtr ip)
{
    size_t n = 0;
    for (xmlNodePtr d = ip->children; d; d = d->next)
        for (xmlNodePtr h = nfsroot_xml_is(d, "dhcp") ? d->children : NULL; h; h = h->next)
            n += nfsroot_xml_is(h, "host");
    return n;
}

int nfsroot_network_xml_parse(const char *xml, size_t len, const char *path, nfsroot_netinfo **ret,
                              size_t *ret_n_dhcp_hosts, nfsroot_error *err)
{
    if (len > NETWORK_XML_MAX)
        return nfsroot_err(err, -EFBIG, NULL, "network", path, 0, "'%s' is too large", path);
    _cleanup_(nfsroot_xml_free_docp) xmlDocPtr doc = NULL;
    xmlNodePtr root = NULL;
    int r = network_xml_read(xml, len, path, NULL, "network", &doc, &root, err);
    if (r < 0)
        return r == -EBADF ? -EINVAL : r;
    _cleanup_(nfsroot_netinfo_freep) nfsroot_netinfo *n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    static const nfsroot_nic no_nic = { 0 }; /* no MAC: no address is pinned */
    size_t hosts = 0;
    for (xmlNodePtr c = root->children; c; c = c->next) {
        char why[256];
        if (nfsroot_xml_is(c, "name") && !n->name) {
            xmlChar *t = XML(NodeGetContent)(c);
            n->name = t ? strdup((const char *)t) : NULL;
            XML(Free)(t);
            if (!n->name)
                return -ENOMEM;
        }
        r = nfsroot_xml_is(c, "ip") ? parse_ip(n, c, &no_nic, why, sizeof(why)) : 0;
        if (r < 0)
            return nfsroot_err(err, r == -ENOMEM ? r : -EINVAL, NULL, "network", path, 0,
                               "'%s' has an <ip> element that cannot be read", path);
        hosts += nfsroot_xml_is(c, "ip") ? count_dhcp_hosts(c) : 0;
        if (nfsroot_xml_is(c, "mac") && !n->bridge_mac[0])
            read_bridge_mac(c, n->bridge_mac);
    }
    if (!n->name || !n->name[0])
        return nfsroot_err(err, -EINVAL, NULL, "network", path, 0, "'%s' has no <name>", path);
    if (ret_n_dhcp_hosts)
        *ret_n_dhcp_hosts = hosts;
    *ret = TAKE_PTR(n);
    return 0;
}

DEFINE_ACCESSOR(const char *, nfsroot_netinfo_get_name, nfsroot_netinfo, x->name)
DEFINE_ACCESSOR(size_t, nfsroot_netinfo_get_n_subnets, nfsroot_netinfo, x->n_subnets)
DEFINE_ACCESSOR(size_t, nfsroot_netinfo_get_n_host_addrs, nfsroot_netinfo, x->n_host_addrs)
DEFINE_ACCESSOR(const nfsroot_cidr *, nfsroot_netinfo_get_pinned, nfsroot_netinfo, &x->pinned)
DEFINE_ACCESSOR(const char *, nfsroot_netinfo_get_bridge_mac, nfsroot_netinfo, x->bridge_mac)

const nfsroot_cidr *nfsroot_netinfo_get_subnet(const nfsroot_netinfo *n, size_t i)
{
    return i < n->n_subnets ? &n->subnets[i] : NULL;
}

const nfsroot_cidr *nfsroot_netinfo_get_host_addr(const nfsroot_netinfo *n, size_t i)
{
    return i < n->n_host_addrs ? &n->host_addrs[i] : NULL;
}
