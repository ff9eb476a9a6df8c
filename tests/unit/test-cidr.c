/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nfsroot_cidr_parse/format/contains over a table of good and bad inputs. */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "virt-nfsroot/virt-nfsroot-private.h"

static void parse_case(const char *in, const char *want)
{
    nfsroot_cidr c;
    char buf[64];
    int r = nfsroot_cidr_parse(in, &c);
    const char *got = r < 0 ? "invalid" : nfsroot_cidr_format(&c, buf, sizeof(buf));
    CHECKF(strcmp(got, want) == 0, "parse '%s': want '%s', got '%s'", in, want, got);
}

static void contains_case(const char *outer, const char *inner, int want)
{
    nfsroot_cidr o, i;
    CHECKF(nfsroot_cidr_parse(outer, &o) == 0 && nfsroot_cidr_parse(inner, &i) == 0 &&
               nfsroot_cidr_contains(&o, &i) == want,
           "contains %s ⊇ %s: want %d", outer, inner, want);
}

/* The one netmask/prefix rule of a libvirt <ip>: want is the prefix, or -1 for refused. */
static void prefix_case(const char *family, const char *netmask, const char *prefix, int want)
{
    int got = -1;
    if (nfsroot_ip_prefix(family, netmask, prefix, &got) < 0)
        got = -1;
    CHECKF(got == want, "prefix family=%s netmask=%s prefix=%s: want %d, got %d",
           family ? family : "-", netmask ? netmask : "-", prefix ? prefix : "-", want, got);
}

static void subnet_case(const char *addr, int prefix, const char *want)
{
    nfsroot_cidr c;
    char buf[64];
    const char *got =
        nfsroot_cidr_subnet(addr, prefix, &c) < 0 ? "invalid" : nfsroot_cidr_format(&c, buf, 64);
    CHECKF(strcmp(got, want) == 0, "subnet '%s' /%d: want '%s', got '%s'", addr, prefix, want, got);
}

int main(void)
{
    prefix_case(NULL, "255.255.255.0", NULL, 24);
    prefix_case("ipv4", "255.255.0.0", NULL, 16);
    prefix_case(NULL, "255.255.255.255", NULL, 32);
    prefix_case(NULL, "0.0.0.0", NULL, 0);
    prefix_case(NULL, "255.0.255.0", NULL, -1); /* not contiguous */
    prefix_case(NULL, "255.255.255.1", NULL, -1);
    prefix_case(NULL, "24", NULL, -1);
    prefix_case(NULL, NULL, "24", 24);
    prefix_case(NULL, NULL, "0", 0);
    prefix_case(NULL, NULL, "33", -1);
    prefix_case(NULL, NULL, "24x", -1);
    prefix_case(NULL, NULL, " 24", -1);
    prefix_case(NULL, NULL, "-1", -1);
    prefix_case(NULL, NULL, "", -1);
    prefix_case(NULL, NULL, "99999999999999999999", -1);
    prefix_case(NULL, NULL, NULL, 24);
    prefix_case("ipv6", NULL, "64", 64);
    prefix_case("ipv6", NULL, "128", 128);
    prefix_case("ipv6", NULL, "129", -1);
    prefix_case("ipv6", NULL, NULL, 64);
    prefix_case("ipv6", "255.255.255.0", NULL, -1); /* a netmask is IPv4 only */
    CHECK(nfsroot_netmask_prefix("255.255.240.0") == 20 && nfsroot_netmask_prefix("::") < 0);
    subnet_case("192.168.122.1", 24, "192.168.122.0/24");
    subnet_case("192.168.122.1", 32, "192.168.122.1/32");
    subnet_case("fd00:1:2:3::1", 64, "fd00:1:2:3::/64");
    subnet_case("192.168.122.1", 33, "invalid");
    subnet_case("192.168.122.1", -1, "invalid");
    subnet_case("host.example", 24, "invalid");

    parse_case("192.168.122.0/24", "192.168.122.0/24");
    parse_case("192.168.122.7", "192.168.122.7/32");
    parse_case("10.0.0.0/8", "10.0.0.0/8");
    parse_case("0.0.0.0/0", "0.0.0.0/0");
    parse_case("fd00::/64", "fd00::/64");
    parse_case("FD00:0::1", "fd00::1/128");
    parse_case("::/0", "::/0");
    parse_case("192.168.122.1/24", "invalid"); /* host bits */
    parse_case("192.168.122.0/33", "invalid");
    parse_case("192.168.122.0/", "invalid");
    parse_case("192.168.122.0/024", "invalid");
    parse_case("192.168.122.0/-1", "invalid");
    parse_case("192.168.122.0/24 ", "invalid");
    parse_case(" 192.168.122.0/24", "invalid");
    parse_case("*", "invalid");
    parse_case("host.example", "invalid");
    parse_case("@netgroup", "invalid");
    parse_case("192.168.122", "invalid");
    parse_case("0x7f000001", "invalid");
    parse_case("fe80::1%eth0", "invalid");
    parse_case("::ffff:192.168.122.7", "::ffff:192.168.122.7/128");
    parse_case("", "invalid");
    parse_case("/24", "invalid");

    contains_case("192.168.122.0/24", "192.168.122.7", 1);
    contains_case("192.168.122.0/24", "192.168.122.0/24", 1);
    contains_case("192.168.122.0/24", "192.168.0.0/16", 0);
    contains_case("192.168.122.0/24", "192.168.123.1", 0);
    contains_case("192.168.122.0/24", "fd00::1", 0);
    contains_case("fd00::/64", "fd00::5", 1);
    contains_case("fd00::/64", "fd00:0:0:1::5", 0);
    contains_case("0.0.0.0/0", "8.8.8.8", 1);

    return test_summary();
}
