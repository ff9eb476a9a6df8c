/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "internal.h"

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
