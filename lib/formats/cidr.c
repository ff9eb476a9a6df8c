/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "formats.h"

static bool host_bits_clear(const nfsroot_cidr *c)
{
    size_t bytes = c->family == AF_INET ? 4 : 16;
    for (size_t bit = c->prefix; bit < bytes * 8; bit++)
        if (c->addr[bit / 8] & (0x80 >> (bit % 8)))
            return false;
    return true;
}

int nfsroot_cidr_parse(const char *s, nfsroot_cidr *ret)
{
    char addr[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen == 0 || alen >= sizeof(addr))
        return -EINVAL;
    memcpy(addr, s, alen);
    addr[alen] = '\0';

    nfsroot_cidr c = { 0 };
    unsigned maxlen;
    if (inet_pton(AF_INET, addr, c.addr) == 1) {
        c.family = AF_INET;
        maxlen = 32;
    } else if (inet_pton(AF_INET6, addr, c.addr) == 1) {
        c.family = AF_INET6;
        maxlen = 128;
    } else
        return -EINVAL;

    unsigned prefix = maxlen;
    if (slash) {
        const char *p = slash + 1;
        if (!*p || strlen(p) > 3)
            return -EINVAL;
        prefix = 0;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return -EINVAL;
            prefix = prefix * 10 + (unsigned)(*p - '0');
        }
        if (prefix > maxlen || (slash[1] == '0' && slash[2] != '\0'))
            return -EINVAL;
    }
    c.prefix = (uint8_t)prefix;
    if (!host_bits_clear(&c))
        return -EDOM;
    *ret = c;
    return 0;
}

const char *nfsroot_cidr_format(const nfsroot_cidr *c, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN];
    if (!inet_ntop(c->family, c->addr, a, sizeof(a)))
        snprintf(a, sizeof(a), "?");
    snprintf(buf, len, "%s/%u", a, c->prefix);
    return buf;
}

bool nfsroot_cidr_contains(const nfsroot_cidr *outer, const nfsroot_cidr *inner)
{
    if (outer->family != inner->family || inner->prefix < outer->prefix)
        return false;
    for (unsigned bit = 0; bit < outer->prefix; bit++) {
        uint8_t m = (uint8_t)(0x80 >> (bit % 8));
        if ((outer->addr[bit / 8] & m) != (inner->addr[bit / 8] & m))
            return false;
    }
    return true;
}

int nfsroot_netmask_prefix(const char *netmask)
{
    struct in_addr a;
    if (!netmask || inet_pton(AF_INET, netmask, &a) != 1)
        return -EINVAL;
    uint32_t m = ntohl(a.s_addr);
    int prefix = 0;
    while (m & 0x80000000u) {
        prefix++;
        m <<= 1;
    }
    return m ? -EINVAL : prefix;
}

int nfsroot_cidr_subnet(const char *addr, int prefix, nfsroot_cidr *ret)
{
    nfsroot_cidr c = { 0 };
    if (inet_pton(AF_INET, addr, c.addr) == 1)
        c.family = AF_INET;
    else if (inet_pton(AF_INET6, addr, c.addr) == 1)
        c.family = AF_INET6;
    else
        return -EINVAL;
    int max = c.family == AF_INET ? 32 : 128;
    if (prefix < 0 || prefix > max)
        return -EINVAL;
    c.prefix = (uint8_t)prefix;
    for (int bit = prefix; bit < max; bit++)
        c.addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
    *ret = c;
    return 0;
}

int nfsroot_ip_prefix(const char *family, const char *netmask, const char *prefix, int *ret)
{
    bool v6 = family && !strcmp(family, "ipv6");
    int plen = v6 ? 64 : 24;
    if (netmask && (v6 || (plen = nfsroot_netmask_prefix(netmask)) < 0))
        return -EINVAL;
    if (prefix && !netmask) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(prefix, &end, 10);
        if (prefix[0] < '0' || prefix[0] > '9' || *end || errno || v > (v6 ? 128u : 32u))
            return -EINVAL;
        plen = (int)v;
    }
    *ret = plen;
    return 0;
}
